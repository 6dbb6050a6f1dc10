//! Files that hold personal data are readable by the service's user only:
//! folders `0700`, files `0600`, whatever the process's umask says.

use std::io;
use std::path::Path;

/// Creates `dir` (and its parents) readable by this user only; an existing
/// folder is narrowed to that.
pub fn private_dir(dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    restrict(dir, 0o700)
}

/// Narrows an existing file to this user's reading and writing (left as
/// it is if no one else may read it already: a read-only file stays so).
pub fn private_file(path: &Path) -> io::Result<()> {
    if !shared(path)? {
        return Ok(());
    }
    restrict(path, 0o600)
}

/// Whether anyone but the owner may read or write `path`.
#[cfg(unix)]
fn shared(path: &Path) -> io::Result<bool> {
    use std::os::unix::fs::PermissionsExt;
    Ok(std::fs::metadata(path)?.permissions().mode() & 0o077 != 0)
}

#[cfg(not(unix))]
fn shared(_: &Path) -> io::Result<bool> {
    Ok(false)
}

#[cfg(unix)]
fn restrict(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn restrict(_: &Path, _: u32) -> io::Result<()> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn folders_and_files_are_the_owners_alone() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let sub = dir.path().join("a/b");
        super::private_dir(&sub).unwrap_or_else(|e| panic!("{e}"));
        let file = sub.join("f");
        std::fs::write(&file, b"x").unwrap_or_else(|e| panic!("{e}"));
        super::private_file(&file).unwrap_or_else(|e| panic!("{e}"));
        let mode = |p: &std::path::Path| {
            std::fs::metadata(p).map_or(0, |m| m.permissions().mode() & 0o777)
        };
        assert_eq!(mode(&sub), 0o700);
        assert_eq!(mode(&file), 0o600);
    }
}
