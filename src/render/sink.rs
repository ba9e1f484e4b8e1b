//! Where the finished files of a build go as they are made: a folder being written (a build), or
//! memory (`serve`, tests). Pages are handed over one by one, so a build never holds the whole site.

use crate::render::site::Site;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread::JoinHandle;

/// A place to put the files of the site (paths relative to the output root, `/` separators).
pub trait Sink: Sync {
    /// A writer for file `path`; the file is complete when the writer is dropped after a flush.
    fn create(&self, path: &str) -> io::Result<Box<dyn Write + '_>>;

    /// Files that will probably be written (a hint, given early): a folder sink creates them
    /// ahead, while the book is being made, and removes those that are not written after all.
    fn reserve(&self, _paths: &[String]) {}

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

/// Files written under a folder (creating sub-folders as needed) by one writer thread.
///
/// Creating files in one folder from several threads gains nothing: each creation holds the
/// folder's lock while the file system finds a free inode (a search that grows with the files
/// deleted just before, as an output replaced a moment ago leaves), and the other threads spin on
/// that lock. So pages are handed to one thread that creates and writes them in turn while the
/// others go on rendering. Errors come out of [`DirSink::finish`].
pub struct DirSink {
    root: PathBuf,
    queue: Mutex<Option<SyncSender<Job>>>,
    writer: Mutex<Option<JoinHandle<io::Result<()>>>>,
    /// The writer's error, once it has stopped on one.
    failed: Mutex<Option<(io::ErrorKind, String)>>,
    next_id: AtomicU64,
}

/// What the writer thread is asked to do. A file opened with `Open` gets the `Data` sent for its
/// id, in order, and is complete at `Close`.
enum Job {
    Reserve(Vec<PathBuf>),
    Open(u64, PathBuf),
    Data(u64, Vec<u8>),
    Close(u64),
    Put(PathBuf, Vec<u8>),
}

/// Jobs waiting for the writer at most, so that pages made faster than they are written do not
/// pile up in memory.
const QUEUE: usize = 32;

/// A file's bytes are handed to the writer in pieces of about this size.
const PIECE: usize = 64 * 1024;

impl DirSink {
    pub fn new(root: &Path) -> DirSink {
        let (queue, jobs) = mpsc::sync_channel(QUEUE);
        let base = root.to_path_buf();
        let writer = std::thread::Builder::new()
            .name("studybook-writer".into())
            .spawn(move || write_jobs(&base, jobs));
        let (queue, writer) = match writer {
            Ok(handle) => (Some(queue), Some(handle)),
            Err(_) => (None, None),
        };
        DirSink {
            root: root.to_path_buf(),
            queue: Mutex::new(queue),
            writer: Mutex::new(writer),
            failed: Mutex::new(None),
            next_id: AtomicU64::new(0),
        }
    }

    /// Wait until every file handed over is written; the first error met, if any.
    pub fn finish(&self) -> io::Result<()> {
        drop(lock(&self.queue).take());
        let mut failed = lock(&self.failed);
        if let Some(handle) = lock(&self.writer).take() {
            let outcome = handle
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("the writer thread stopped")));
            if let Err(e) = outcome {
                *failed = Some((e.kind(), e.to_string()));
            }
        }
        match &*failed {
            Some((kind, message)) => Err(io::Error::new(*kind, message.clone())),
            None => Ok(()),
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
        Ok(self.root.join(path))
    }

    fn send(&self, job: Job) -> io::Result<()> {
        let queue = lock(&self.queue).clone();
        match queue {
            Some(queue) => queue.send(job).map_err(|_| self.stopped()),
            None => Err(self.stopped()),
        }
    }

    /// Why a job could not be handed over: the writer met an error and stopped, or never started.
    fn stopped(&self) -> io::Error {
        match self.finish() {
            Err(e) => e,
            Ok(()) => io::Error::other("the writer thread is not running"),
        }
    }
}

impl Drop for DirSink {
    fn drop(&mut self) {
        let _ = self.finish();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The writer thread: carry out `jobs` until the queue closes or an error, which is returned
/// with the file's path.
fn write_jobs(root: &Path, jobs: Receiver<Job>) -> io::Result<()> {
    let mut made: HashSet<PathBuf> = HashSet::new();
    let mut open: HashMap<u64, (PathBuf, fs::File)> = HashMap::new();
    // Files created ahead and not written yet.
    let mut reserved: HashSet<PathBuf> = HashSet::new();
    let mut create = |path: &Path, reserved: &mut HashSet<PathBuf>| -> io::Result<fs::File> {
        if let Some(parent) = path.parent()
            && !made.contains(parent)
        {
            fs::create_dir_all(parent)?;
            made.insert(parent.to_path_buf());
        }
        reserved.remove(path);
        fs::File::create(path)
    };
    let named = |path: &Path, e: io::Error| {
        let shown = path.strip_prefix(root).unwrap_or(path);
        io::Error::new(e.kind(), format!("{}: {e}", shown.display()))
    };
    for job in jobs {
        match job {
            Job::Reserve(paths) => {
                for path in paths {
                    // A hint: a file that cannot be created ahead is left to be created when written.
                    if !reserved.contains(&path)
                        && !path.exists()
                        && create(&path, &mut reserved).is_ok()
                    {
                        reserved.insert(path);
                    }
                }
            }
            Job::Open(id, path) => {
                let file = create(&path, &mut reserved).map_err(|e| named(&path, e))?;
                open.insert(id, (path, file));
            }
            Job::Data(id, bytes) => {
                if let Some((path, file)) = open.get_mut(&id) {
                    file.write_all(&bytes).map_err(|e| named(path, e))?;
                }
            }
            Job::Close(id) => {
                open.remove(&id);
            }
            Job::Put(path, bytes) => {
                create(&path, &mut reserved)
                    .and_then(|mut file| file.write_all(&bytes))
                    .map_err(|e| named(&path, e))?;
            }
        }
    }
    for path in reserved {
        fs::remove_file(&path).map_err(|e| named(&path, e))?;
    }
    Ok(())
}

/// A file being made: its bytes go to the writer thread in pieces.
struct DirFile<'a> {
    sink: &'a DirSink,
    id: u64,
    pending: Vec<u8>,
    closed: bool,
}

impl DirFile<'_> {
    fn hand_over(&mut self) -> io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let bytes = std::mem::take(&mut self.pending);
        self.sink.send(Job::Data(self.id, bytes))
    }
}

impl Write for DirFile<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // A piece at a time, so that a big file is never copied whole.
        let n = buf
            .len()
            .min(PIECE.saturating_sub(self.pending.len()).max(1));
        self.pending.extend_from_slice(&buf[..n]);
        if self.pending.len() >= PIECE {
            self.hand_over()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.hand_over()
    }
}

impl Drop for DirFile<'_> {
    fn drop(&mut self) {
        if !self.closed {
            self.closed = true;
            let _ = self.hand_over();
            let _ = self.sink.send(Job::Close(self.id));
        }
    }
}

impl Sink for DirSink {
    fn create(&self, path: &str) -> io::Result<Box<dyn Write + '_>> {
        let target = self.target(path)?;
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.send(Job::Open(id, target))?;
        Ok(Box::new(DirFile {
            sink: self,
            id,
            pending: Vec::new(),
            closed: false,
        }))
    }

    fn put(&self, path: &str, bytes: &[u8]) -> io::Result<()> {
        if bytes.len() > PIECE {
            let mut w = self.create(path)?;
            w.write_all(bytes)?;
            return w.flush();
        }
        let target = self.target(path)?;
        self.send(Job::Put(target, bytes.to_vec()))
    }

    fn reserve(&self, paths: &[String]) {
        let targets = paths.iter().filter_map(|p| self.target(p).ok()).collect();
        let _ = self.send(Job::Reserve(targets));
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
        sink.finish().unwrap();
        assert_eq!(fs::read(tmp.path().join("x/y/z.html")).unwrap(), b"page");
        assert_eq!(fs::read(tmp.path().join("x/w.css")).unwrap(), b"css");
        for bad in ["../up.html", "a//b", "/abs", "a/./b"] {
            assert!(sink.put(bad, b"").is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn files_reserved_ahead_are_kept_when_written_and_removed_when_not() {
        let tmp = tempfile::tempdir().unwrap();
        let sink = DirSink::new(tmp.path());
        sink.reserve(&["c/a.html".into(), "c/b.html".into(), "c/c.html".into()]);
        sink.put("c/a.html", b"a page").unwrap();
        {
            let mut w = sink.create("c/c.html").unwrap();
            w.write_all(&vec![b'x'; PIECE + 10]).unwrap();
            w.write_all(b"end").unwrap();
            w.flush().unwrap();
        }
        sink.put("c/d.html", b"not reserved").unwrap();
        let large: Vec<u8> = (0..PIECE * 3 + 7).map(|i| (i % 251) as u8).collect();
        sink.put("c/large.js", &large).unwrap();
        sink.finish().unwrap();
        assert_eq!(fs::read(tmp.path().join("c/large.js")).unwrap(), large);
        let dir = tmp.path().join("c");
        assert_eq!(fs::read(dir.join("a.html")).unwrap(), b"a page");
        assert!(
            !dir.join("b.html").exists(),
            "a reserved file never written is left"
        );
        let big = fs::read(dir.join("c.html")).unwrap();
        assert_eq!(big.len(), PIECE + 13);
        assert!(big.ends_with(b"xend"));
        assert_eq!(fs::read(dir.join("d.html")).unwrap(), b"not reserved");
    }

    #[test]
    fn a_write_that_fails_is_reported_with_its_path_and_stops_the_writer() {
        let tmp = tempfile::tempdir().unwrap();
        // A file where the sink needs a folder.
        fs::write(tmp.path().join("taken"), b"").unwrap();
        let sink = DirSink::new(tmp.path());
        let _ = sink.put("taken/page.html", b"x");
        let e = sink.finish().unwrap_err();
        assert!(e.to_string().contains("taken/page.html"), "{e}");
        // Later files are refused with the same error rather than lost silently.
        let later = sink.put("other.html", b"y").unwrap_err();
        assert!(later.to_string().contains("taken/page.html"), "{later}");
        assert!(!tmp.path().join("other.html").exists());
    }
}
