//! Writing the site: into a staging folder beside the output, then swapped into place, so a failed build leaves the old output whole.

use crate::diagnostics::Fatal;
use crate::render::sink::{DirSink, Sink};
use crate::render::site::Site;
use std::fs;
use std::path::{Path, PathBuf};

/// A file every output folder holds, so studybook never replaces a folder it did not write.
pub const MARKER: &str = ".studybook-output";

fn sibling(out: &Path, suffix: &str) -> PathBuf {
    let name = out
        .file_name()
        .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
    out.with_file_name(format!(".{name}.{suffix}"))
}

/// Write `site` to `out`. The previous content of `out` stays in place until the new one is complete.
pub fn write_site(out: &Path, site: &Site) -> Result<(), Fatal> {
    write_with(out, |sink| {
        for (path, bytes) in &site.files {
            sink.put(path, bytes)
                .map_err(|e| Fatal::new(path, format!("cannot write: {e}")))?;
        }
        Ok(())
    })
}

/// Build the output with `make`, which writes every file into the sink it is given (a staging
/// folder beside `out`); then put it in place of `out`. If `make` fails, `out` is left as it was.
pub fn write_with<T>(
    out: &Path,
    make: impl FnOnce(&DirSink) -> Result<T, Fatal>,
) -> Result<T, Fatal> {
    let display = out.display().to_string();
    let fail = |what: &str, e: std::io::Error| Fatal::new(&display, format!("{what}: {e}"));
    if out.exists() {
        if !out.is_dir() {
            return Err(Fatal::new(
                &display,
                "the output path exists and is not a folder",
            ));
        }
        let is_ours = out.join(MARKER).is_file();
        let is_empty = fs::read_dir(out)
            .map(|mut d| d.next().is_none())
            .unwrap_or(false);
        if !is_ours && !is_empty {
            return Err(Fatal::new(
                &display,
                format!(
                    "refusing to replace this folder: it is not empty and was not written by studybook (no {MARKER})"
                ),
            ));
        }
    }
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent)
            .map_err(|e| fail("cannot create the output's parent folder", e))?;
    }
    recover(out);

    let staging = sibling(out, &format!("staging-{}", std::process::id()));
    let _ = fs::remove_dir_all(&staging);
    let made = fs::create_dir_all(&staging)
        .and_then(|()| fs::write(staging.join(MARKER), b""))
        .map_err(|e| fail("cannot write the book", e))
        .and_then(|()| {
            let sink = DirSink::new(&staging);
            let value = make(&sink);
            let written = sink.finish();
            let value = value?;
            written.map_err(|e| fail("cannot write the book", e))?;
            Ok(value)
        });
    let value = match made {
        Ok(value) => value,
        Err(e) => {
            let _ = fs::remove_dir_all(&staging);
            return Err(e);
        }
    };

    if out.exists() && exchange(&staging, out).is_ok() {
        // The previous output is now in the staging folder.
        let _ = fs::remove_dir_all(&staging);
        return Ok(value);
    }
    let old = sibling(out, "old");
    let _ = fs::remove_dir_all(&old);
    if out.exists() {
        fs::rename(out, &old).map_err(|e| {
            let _ = fs::remove_dir_all(&staging);
            fail("cannot move the previous output aside", e)
        })?;
    }
    if let Err(e) = fs::rename(&staging, out) {
        let _ = fs::rename(&old, out);
        let _ = fs::remove_dir_all(&staging);
        return Err(fail("cannot move the new output into place", e));
    }
    let _ = fs::remove_dir_all(&old);
    Ok(value)
}

/// Swap two folders in a single step, so that a build killed at any moment leaves either the
/// previous or the new output in place.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| {
        CString::new(p.as_os_str().as_bytes())
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))
    };
    let (a, b) = (c(a)?, c(b)?);
    // SAFETY: both paths are NUL-terminated strings that outlive the call.
    let result = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if result == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Elsewhere the output is moved aside, then the new one into place (see [`recover`]).
#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> std::io::Result<()> {
    Err(std::io::ErrorKind::Unsupported.into())
}

/// Clean up after a build that was killed: put a set-aside output back, drop stale staging folders.
fn recover(out: &Path) {
    let old = sibling(out, "old");
    if !out.exists() && old.is_dir() {
        let _ = fs::rename(&old, out);
    }
    let Some(parent) = out.parent().map(|p| {
        if p.as_os_str().is_empty() {
            Path::new(".")
        } else {
            p
        }
    }) else {
        return;
    };
    let prefix = sibling(out, "staging-")
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if let Ok(entries) = fs::read_dir(parent) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with(&prefix) {
                let pid = name[prefix.len()..].parse::<u32>().ok();
                if pid != Some(std::process::id()) && !process_alive(pid) {
                    let _ = fs::remove_dir_all(entry.path());
                }
            }
        }
    }
}

fn process_alive(pid: Option<u32>) -> bool {
    pid.is_some_and(|pid| Path::new(&format!("/proc/{pid}")).exists())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(files: &[(&str, &str)]) -> Site {
        Site {
            files: files
                .iter()
                .map(|(p, c)| (p.to_string(), c.as_bytes().to_vec()))
                .collect(),
        }
    }

    #[test]
    fn replaces_previous_output() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("output");
        write_site(&out, &site(&[("index.html", "one"), ("old.html", "x")])).unwrap();
        write_site(&out, &site(&[("index.html", "two"), ("a/b.html", "y")])).unwrap();
        assert_eq!(fs::read_to_string(out.join("index.html")).unwrap(), "two");
        assert!(!out.join("old.html").exists());
        assert!(out.join("a/b.html").exists());
        let leftovers: Vec<_> = fs::read_dir(tmp.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(leftovers, vec![std::ffi::OsString::from("output")]);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn exchange_swaps_two_folders() {
        let tmp = tempfile::tempdir().unwrap();
        let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
        fs::create_dir(&a).unwrap();
        fs::create_dir(&b).unwrap();
        fs::write(a.join("x"), "from a").unwrap();
        fs::write(b.join("x"), "from b").unwrap();
        exchange(&a, &b).unwrap();
        assert_eq!(fs::read_to_string(a.join("x")).unwrap(), "from b");
        assert_eq!(fs::read_to_string(b.join("x")).unwrap(), "from a");
    }

    #[test]
    fn refuses_a_folder_it_did_not_write() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("precious.txt"), "keep").unwrap();
        assert!(write_site(tmp.path(), &site(&[("index.html", "x")])).is_err());
        assert!(tmp.path().join("precious.txt").exists());
    }

    #[test]
    fn restores_an_output_set_aside_by_a_killed_build() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("output");
        let old = sibling(&out, "old");
        fs::create_dir_all(&old).unwrap();
        fs::write(old.join(MARKER), "").unwrap();
        recover(&out);
        assert!(out.join(MARKER).exists());
    }
}
