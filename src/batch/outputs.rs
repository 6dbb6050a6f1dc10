//! A finished batch's three files, written as they are produced: the print
//! PDF (every mail piece from an odd page, in postcode, school or input
//! order, with separator sheets between schools when asked), a ZIP with one
//! PDF per reference, and the manifest of pages (`csv`).

use std::collections::{BTreeMap, HashMap};
use std::io::{BufWriter, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use serde_json::Value;
use tempfile::NamedTempFile;

use super::{BatchError, BatchOptions, Batches, Order, print};
use crate::register::{RecordState, RegisterError};

impl Batches {
    /// Writes print.pdf, documents.zip and manifest.csv, each to a temporary
    /// name first, so a file that exists is complete.
    pub(super) fn write_outputs(
        &self,
        id: &str,
        options: &BatchOptions,
        workers: usize,
    ) -> Result<(), BatchError> {
        // The batches' folder and each batch's are the service's user's
        // alone; the files in them are made 0600 (temporary files, renamed).
        crate::files::private_dir(&self.dir)?;
        let dir = self.dir.join(id);
        crate::files::private_dir(&dir)?;
        let records =
            self.register
                .batch_records_from(id, Some(RecordState::Issued), 0, usize::MAX)?;
        // Every issued piece with its sort key.
        let mut pieces = Vec::new();
        for r in &records {
            for reference in &r.references {
                let issued = self.register.get(reference)?;
                pieces.push((r.index, issued));
            }
        }
        let postcode = |p: &str| p.to_ascii_uppercase().replace(' ', "");
        // Separator sheets go between schools, so the pieces are then in
        // school order whatever order was asked for.
        let order = if options.separators {
            Order::School
        } else {
            options.order
        };
        match order {
            Order::Postcode => pieces.sort_by(|(ia, a), (ib, b)| {
                (postcode(&a.recipient_postcode), ia, &a.reference).cmp(&(
                    postcode(&b.recipient_postcode),
                    ib,
                    &b.reference,
                ))
            }),
            Order::School => pieces.sort_by(|(ia, a), (ib, b)| {
                (&a.school, postcode(&a.recipient_postcode), ia, &a.reference).cmp(&(
                    &b.school,
                    postcode(&b.recipient_postcode),
                    ib,
                    &b.reference,
                ))
            }),
            Order::Input => {
                pieces.sort_by(|(ia, a), (ib, b)| (ia, &a.reference).cmp(&(ib, &b.reference)))
            }
        }
        // Each file is written under a temporary name in the same folder and
        // renamed when complete, so a file that exists is whole.
        let partial = || -> std::io::Result<BufWriter<NamedTempFile>> {
            Ok(BufWriter::new(NamedTempFile::new_in(&dir)?))
        };
        let mut printer = print::PrintWriter::new(partial()?)?;
        let mut zip = zip::ZipWriter::new(partial()?);
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .last_modified_time(zip::DateTime::default());
        let mut manifest = ::csv::Writer::from_writer(partial()?);
        manifest.write_record([
            "reference",
            "recipient",
            "postcode",
            "first_page",
            "last_page",
            "status",
        ])?;
        // Reading each PDF back and parsing it is most of the work: helpers
        // do it ahead, in order, while this thread writes what is ready.
        // Pieces in flight are bounded, so memory is too.
        let next = AtomicUsize::new(0);
        let stop = AtomicBool::new(false);
        let (send, receive) = std::sync::mpsc::sync_channel(4 * workers.max(1));
        std::thread::scope(|scope| -> Result<(), BatchError> {
            for _ in 0..workers.max(1) {
                let send = send.clone();
                let (next, stop, pieces) = (&next, &stop, &pieces);
                scope.spawn(move || {
                    loop {
                        let k = next.fetch_add(1, Ordering::Relaxed);
                        let Some((_, issued)) = pieces.get(k) else {
                            break;
                        };
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        let parsed = self
                            .register
                            .pdf(&issued.reference)
                            .map_err(BatchError::from)
                            .and_then(|pdf| Ok(print::Parsed::new(pdf)?));
                        if send.send((k, parsed)).is_err() {
                            break;
                        }
                    }
                });
            }
            drop(send);
            let mut ready = BTreeMap::new();
            let mut written = 0;
            // Each school's notices, for its separator sheet.
            let mut per_school: HashMap<&str, (usize, &str, &str)> = Default::default();
            for (_, issued) in &pieces {
                let e = per_school.entry(issued.school.as_str()).or_insert((
                    0,
                    &issued.reference,
                    &issued.reference,
                ));
                e.0 += 1;
                e.2 = &issued.reference;
            }
            let mut school: Option<&str> = None;
            let result = (|| {
                for (k, parsed) in receive.iter() {
                    ready.insert(k, parsed);
                    while let Some(parsed) = ready.remove(&written) {
                        let parsed = parsed?;
                        let issued = &pieces[written].1;
                        if options.separators && school != Some(issued.school.as_str()) {
                            school = Some(issued.school.as_str());
                            let (count, from, to) = per_school
                                .get(issued.school.as_str())
                                .copied()
                                .unwrap_or((0, "", ""));
                            printer.separator(
                                &issued.school,
                                &[
                                    format!(
                                        "{count} {} in this section",
                                        if count == 1 {
                                            "mail piece"
                                        } else {
                                            "mail pieces"
                                        }
                                    ),
                                    format!("First {from}, last {to}"),
                                    format!("Document: {}", options.kind),
                                    format!("Batch {id}"),
                                ],
                            )?;
                        }
                        zip.start_file(format!("{}.pdf", issued.reference), stored)?;
                        zip.write_all(parsed.pdf())?;
                        let (first, last) = printer.append_parsed(parsed)?;
                        manifest.write_record([
                            defuse(&issued.reference).as_ref(),
                            defuse(&issued.recipient_name).as_ref(),
                            defuse(&issued.recipient_postcode).as_ref(),
                            &first.to_string(),
                            &last.to_string(),
                            "issued",
                        ])?;
                        written += 1;
                    }
                }
                Ok(())
            })();
            if result.is_err() {
                stop.store(true, Ordering::Relaxed);
                // Let the helpers finish their piece and see the stop.
                for _ in receive.iter() {}
            }
            result
        })?;
        // Refused cases are listed too: the recipient column says which case
        // and why.
        // Read a page at a time: a batch of many refusals is never held whole.
        let mut offset = 0;
        loop {
            let page =
                self.register
                    .batch_records_from(id, Some(RecordState::Refused), offset, 1000)?;
            if page.is_empty() {
                break;
            }
            offset += page.len();
            for r in &page {
                let why: Value = match r.problem.as_deref() {
                    Some(p) => serde_json::from_str(p).map_err(|e| {
                        RegisterError::Corrupt(format!(
                            "record {} of batch {id}: its problem is not JSON: {e}",
                            r.index
                        ))
                    })?,
                    None => Value::Null,
                };
                let first = &why["errors"][0];
                let first = match first["pointer"].as_str() {
                    Some(p) => format!("{p} {}", first["detail"].as_str().unwrap_or("")),
                    None => why["detail"].as_str().unwrap_or("").to_owned(),
                };
                let line = format!("case {}: {first}", r.index);
                manifest.write_record(["", defuse(&line).as_ref(), "", "", "", "refused"])?;
            }
        }
        let print = printer.finish()?;
        let zip = zip.finish()?;
        let manifest = manifest
            .into_inner()
            .map_err(|e| BatchError::Io(e.into_error()))?;
        // A batch that issued nothing has no print file or ZIP to give (an
        // empty print file would look like a batch to print): its manifest
        // lists the refusals, and its status says so.
        let files = if pieces.is_empty() {
            vec![("manifest.csv", manifest)]
        } else {
            vec![
                ("print.pdf", print),
                ("documents.zip", zip),
                ("manifest.csv", manifest),
            ]
        };
        for (name, file) in files {
            let file = file
                .into_inner()
                .map_err(|e| BatchError::Io(e.into_error()))?;
            file.persist(dir.join(name))
                .map_err(|e| BatchError::Io(e.error))?;
        }
        Ok(())
    }
}

/// A manifest field a spreadsheet will not run: a leading `=`, `+`, `-` or
/// `@` is prefixed with `'` (the CSV writer does the quoting).
fn defuse(field: &str) -> std::borrow::Cow<'_, str> {
    if field.starts_with(['=', '+', '-', '@']) {
        std::borrow::Cow::Owned(format!("'{field}"))
    } else {
        std::borrow::Cow::Borrowed(field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_fields_are_quoted_and_defused() {
        let mut w = ::csv::Writer::from_writer(Vec::new());
        for field in ["plain", "Smith, Jo", "say \"hi\"", "=cmd()"] {
            w.write_record([defuse(field).as_ref()])
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let text = String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default();
        assert_eq!(text, "plain\n\"Smith, Jo\"\n\"say \"\"hi\"\"\"\n'=cmd()\n");
    }
}
