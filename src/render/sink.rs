//! Where the finished files of a build go as they are made: a folder being written (a build), or
//! memory (`serve`, tests). Pages are handed over one by one, so a build never holds the whole site.

use crate::render::site::Site;
use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// A place to put the files of the site (paths relative to the output root, `/` separators).
pub trait Sink: Sync {
    /// A writer for file `path`; the file is complete when the writer is dropped after a flush.
    fn create(&self, path: &str) -> io::Result<Box<dyn Write + '_>>;

    /// Store file `path` with `bytes`.
    fn put(&self, path: &str, bytes: &[u8]) -> io::Result<()> {
        let mut w = self.create(path)?;
        w.write_all(bytes)?;
        w.flush()
    }
}

/// Files kept in memory.
#[derive(Default)]
pub struct MemorySink {
    files: Mutex<BTreeMap<String, Vec<u8>>>,
}

impl MemorySink {
    pub fn into_site(self) -> Site {
        Site {
            files: self.files.into_inner().unwrap_or_else(|e| e.into_inner()),
        }
    }
}

struct MemoryFile<'a> {
    sink: &'a MemorySink,
    path: String,
    bytes: Vec<u8>,
}

impl Write for MemoryFile<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for MemoryFile<'_> {
    fn drop(&mut self) {
        let mut files = self.sink.files.lock().unwrap_or_else(|e| e.into_inner());
        files.insert(
            std::mem::take(&mut self.path),
            std::mem::take(&mut self.bytes),
        );
    }
}

impl Sink for MemorySink {
    fn create(&self, path: &str) -> io::Result<Box<dyn Write + '_>> {
        Ok(Box::new(MemoryFile {
            sink: self,
            path: path.to_string(),
            bytes: Vec::new(),
        }))
    }

    fn put(&self, path: &str, bytes: &[u8]) -> io::Result<()> {
        let mut files = self.files.lock().unwrap_or_else(|e| e.into_inner());
        files.insert(path.to_string(), bytes.to_vec());
        Ok(())
    }
}

/// Files written under a folder (creating sub-folders as needed).
pub struct DirSink {
    root: PathBuf,
    made: Mutex<HashSet<PathBuf>>,
}

impl DirSink {
    pub fn new(root: &Path) -> DirSink {
        DirSink {
            root: root.to_path_buf(),
            made: Mutex::new(HashSet::new()),
        }
    }

    fn target(&self, path: &str) -> io::Result<PathBuf> {
        if path
            .split('/')
            .any(|p| p.is_empty() || p == "." || p == "..")
        {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("not a path inside the output: {path}"),
            ));
        }
        let target = self.root.join(path);
        if let Some(parent) = target.parent() {
            let known = self
                .made
                .lock()
                .map(|m| m.contains(parent))
                .unwrap_or(false);
            if !known {
                fs::create_dir_all(parent)?;
                if let Ok(mut m) = self.made.lock() {
                    m.insert(parent.to_path_buf());
                }
            }
        }
        Ok(target)
    }
}

impl Sink for DirSink {
    fn create(&self, path: &str) -> io::Result<Box<dyn Write + '_>> {
        let file = fs::File::create(self.target(path)?)?;
        Ok(Box::new(io::BufWriter::with_capacity(64 * 1024, file)))
    }

    fn put(&self, path: &str, bytes: &[u8]) -> io::Result<()> {
        fs::write(self.target(path)?, bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_keeps_what_each_writer_wrote() {
        let sink = MemorySink::default();
        {
            let mut w = sink.create("a/b.html").unwrap();
            w.write_all(b"one ").unwrap();
            w.write_all(b"two").unwrap();
        }
        sink.put("c.txt", b"x").unwrap();
        let site = sink.into_site();
        assert_eq!(site.files["a/b.html"], b"one two");
        assert_eq!(site.files["c.txt"], b"x");
    }

    #[test]
    fn a_folder_gets_sub_folders_and_refuses_paths_outside() {
        let tmp = tempfile::tempdir().unwrap();
        let sink = DirSink::new(tmp.path());
        {
            let mut w = sink.create("x/y/z.html").unwrap();
            w.write_all(b"page").unwrap();
            w.flush().unwrap();
        }
        sink.put("x/w.css", b"css").unwrap();
        assert_eq!(fs::read(tmp.path().join("x/y/z.html")).unwrap(), b"page");
        assert_eq!(fs::read(tmp.path().join("x/w.css")).unwrap(), b"css");
        for bad in ["../up.html", "a//b", "/abs", "a/./b"] {
            assert!(sink.put(bad, b"").is_err(), "{bad} accepted");
        }
    }
}
