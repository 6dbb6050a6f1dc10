//! Writing PDF objects for the print file: each object serialised (PDF 1.7
//! syntax) or copied as it is, and its offset kept for the cross-reference
//! table.

use std::io::{self, Write};

use lopdf::{Dictionary, Object};

/// Writes PDF objects to `out`, keeping the offsets for the cross-reference
/// table.
pub(super) struct Sink<W: Write> {
    pub(super) out: W,
    pub(super) written: u64,
    pub(super) offsets: Vec<(u32, u64)>,
}

impl<W: Write> Sink<W> {
    pub(super) fn raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.out.write_all(bytes)?;
        self.written += bytes.len() as u64;
        Ok(())
    }

    /// An object already written out, `N 0 obj` to `endobj`.
    pub(super) fn object_bytes(&mut self, id: u32, bytes: &[u8]) -> io::Result<()> {
        self.offsets.push((id, self.written));
        self.raw(bytes)
    }

    pub(super) fn object(&mut self, id: u32, object: &Object) -> io::Result<()> {
        self.offsets.push((id, self.written));
        let mut buf = Vec::new();
        writeln!(buf, "{id} 0 obj")?;
        serialize(&mut buf, object)?;
        buf.extend_from_slice(b"\nendobj\n");
        self.raw(&buf)
    }
}

/// Serialises one PDF object (PDF 1.7 syntax; strings as hex).
fn serialize(buf: &mut Vec<u8>, object: &Object) -> io::Result<()> {
    match object {
        Object::Null => buf.extend_from_slice(b"null"),
        Object::Boolean(b) => buf.extend_from_slice(if *b { b"true" } else { b"false" }),
        Object::Integer(i) => write!(buf, "{i}")?,
        Object::Real(r) => write!(buf, "{r}")?,
        Object::Name(name) => {
            buf.push(b'/');
            for &b in name {
                if b.is_ascii_alphanumeric() || b"-_.+".contains(&b) {
                    buf.push(b);
                } else {
                    write!(buf, "#{b:02X}")?;
                }
            }
        }
        Object::String(bytes, _) => {
            buf.push(b'<');
            for b in bytes {
                write!(buf, "{b:02X}")?;
            }
            buf.push(b'>');
        }
        Object::Array(items) => {
            buf.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    buf.push(b' ');
                }
                serialize(buf, item)?;
            }
            buf.push(b']');
        }
        Object::Dictionary(dict) => serialize_dict(buf, dict)?,
        Object::Stream(stream) => {
            let mut dict = stream.dict.clone();
            dict.set("Length", Object::Integer(stream.content.len() as i64));
            serialize_dict(buf, &dict)?;
            buf.extend_from_slice(b"\nstream\n");
            buf.extend_from_slice(&stream.content);
            buf.extend_from_slice(b"\nendstream");
        }
        Object::Reference((id, generation)) => write!(buf, "{id} {generation} R")?,
    }
    Ok(())
}

fn serialize_dict(buf: &mut Vec<u8>, dict: &Dictionary) -> io::Result<()> {
    buf.extend_from_slice(b"<<");
    for (key, value) in dict.iter() {
        serialize(buf, &Object::Name(key.clone()))?;
        buf.push(b' ');
        serialize(buf, value)?;
    }
    buf.extend_from_slice(b">>");
    Ok(())
}
