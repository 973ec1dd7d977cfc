//! Reading an input file (scenario, sweep spec, calibration target) with the
//! limits every such file shares: a regular file, at most [`MAX_INPUT_BYTES`],
//! UTF-8. Checked before reading, so `/dev/zero`, a FIFO or a 50 MB file of
//! junk gets a clear error at once instead of blocking or eating memory.

use crate::error::{Location, ScenarioError};
use std::io::Read;
use std::path::Path;

/// Largest input file accepted: 4 MiB. The largest built-in scenario is under
/// 20 KB; parsing takes up to about 60 bytes of memory per byte of TOML, so
/// this bounds a parse at a few hundred MB (docs/limits.md).
pub const MAX_INPUT_BYTES: u64 = 4 << 20;

/// Reads `path` as UTF-8 text; `what` ("scenario file", "sweep spec") names
/// it in errors. Invalid UTF-8 is reported at its line and column.
pub fn read_input(path: &Path, what: &str) -> Result<String, ScenarioError> {
    let shown = path.display().to_string();
    let cannot = |e: &dyn std::fmt::Display| ScenarioError::plain(format!("cannot read {what} {shown}: {e}"));
    // stat, not open: opening a FIFO blocks until someone writes to it.
    let meta = std::fs::metadata(path).map_err(|e| cannot(&e))?;
    if !meta.is_file() {
        return Err(cannot(&format_args!(
            "not a regular file ({}); a {what} is read from a regular file",
            kind_of(&meta)
        )));
    }
    let too_big = |size: &dyn std::fmt::Display| {
        cannot(&format_args!(
            "it is {size} bytes; a {what} may be at most {MAX_INPUT_BYTES} bytes (4 MiB)"
        ))
    };
    if meta.len() > MAX_INPUT_BYTES {
        return Err(too_big(&meta.len()));
    }
    let file = std::fs::File::open(path).map_err(|e| cannot(&e))?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // take(): the file may grow between the stat and the read.
    file.take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| cannot(&e))?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(too_big(&format_args!("more than {MAX_INPUT_BYTES}")));
    }
    text_of(bytes, &shown, what)
}

/// The bytes as text, or an error at the first byte that is not UTF-8.
pub fn text_of(bytes: Vec<u8>, origin: &str, what: &str) -> Result<String, ScenarioError> {
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        let prefix = std::str::from_utf8(&bytes[..valid]).unwrap_or_default();
        let location = Location::of_offset(prefix, valid).with_origin(origin);
        ScenarioError::at(
            location,
            format!(
                "byte 0x{:02x} at offset {valid} is not UTF-8; a {what} is UTF-8 text",
                bytes[valid]
            ),
        )
    })
}

fn kind_of(meta: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if meta.is_dir() {
        "a directory"
    } else {
        "not a file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_fifos_and_directories_are_refused_without_reading() {
        for p in ["/dev/zero", "/dev/urandom", "/"] {
            let e = read_input(Path::new(p), "scenario file").unwrap_err().to_string();
            assert!(e.contains("not a regular file"), "{p}: {e}");
        }
        let dir = std::env::temp_dir().join(format!("unrest-fifo-{}", std::process::id()));
        let fifo = dir.with_extension("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            let e = read_input(&fifo, "scenario file").unwrap_err().to_string();
            let _ = std::fs::remove_file(&fifo);
            assert!(e.contains("a FIFO"), "{e}");
        }
    }

    #[test]
    fn a_file_over_the_limit_is_refused_before_it_is_parsed() {
        let p = std::env::temp_dir().join(format!("unrest-big-{}.toml", std::process::id()));
        std::fs::write(&p, vec![b'#'; MAX_INPUT_BYTES as usize + 1]).unwrap();
        let e = read_input(&p, "scenario file").unwrap_err().to_string();
        let _ = std::fs::remove_file(&p);
        assert!(e.contains("4194305 bytes") && e.contains("at most 4194304"), "{e}");
    }

    #[test]
    fn invalid_utf8_is_located() {
        let e = text_of(b"name = \"x\"\nsteps = 1\xff0\n".to_vec(), "f.toml", "scenario file").unwrap_err();
        assert_eq!((e.location.line, e.location.column), (Some(2), Some(10)));
        assert!(e.to_string().starts_with("f.toml:2:10: byte 0xff at offset 20"), "{e}");
    }
}
