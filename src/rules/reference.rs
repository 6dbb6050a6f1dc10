//! References the register hands out: a series (`PN` for penalty notices,
//! `FPN` for the PIAS edition's fixed penalty notices, `DK` for other
//! documents), the two-digit year, a six-digit sequence and a
//! check letter, e.g. `PN26-000123K`. The check letter catches a mistyped or
//! transposed digit when a parent quotes the number to pay.

/// Letters a check character can take (no I, O or S, as in UPNs).
const LETTERS: &[u8; 23] = b"ABCDEFGHJKLMNPQRTUVWXYZ";

fn check_letter(body: &str) -> char {
    // Weighted by position (1, 2, 3, …) so that swapping two characters
    // changes the sum; 23 is prime, so every single-digit change does too.
    let sum: u32 = body
        .bytes()
        .zip(1u32..)
        .map(|(b, w)| u32::from(b) * w)
        .sum();
    char::from(LETTERS[(sum % 23) as usize])
}

/// The reference for `seq` in `series` and `year`: `PN26-000123K`.
pub fn format(series: &str, year: i32, seq: u32) -> String {
    let body = format!("{series}{:02}-{seq:06}", year.rem_euclid(100));
    let check = check_letter(&body);
    format!("{body}{check}")
}

/// Whether `reference` is well formed and its check letter right: a
/// series of two or three capitals (`PN`, `DK`, `FPN`), the year, a dash,
/// six digits and the check letter.
pub fn is_valid(reference: &str) -> bool {
    let Some(last) = reference.chars().last() else {
        return false;
    };
    let body = &reference[..reference.len() - last.len_utf8()];
    let Some((head, seq)) = body.split_once('-') else {
        return false;
    };
    let letters = head.len().saturating_sub(2);
    let shape = body.is_ascii()
        && (2..=3).contains(&letters)
        && head.bytes().take(letters).all(|b| b.is_ascii_uppercase())
        && head.bytes().skip(letters).all(|b| b.is_ascii_digit())
        && seq.len() == 6
        && seq.bytes().all(|b| b.is_ascii_digit());
    shape && check_letter(body) == last
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_carry_a_check_letter() {
        let r = format("PN", 2026, 123);
        assert!(r.starts_with("PN26-000123"), "{r}");
        assert_eq!(r.len(), 12);
        assert!(is_valid(&r));
        // Every single-digit change and every swap of adjacent digits is caught.
        let body: Vec<char> = r[..11].chars().collect();
        for i in 5..11 {
            for d in '0'..='9' {
                if d != body[i] {
                    let mut b = body.clone();
                    b[i] = d;
                    let typo: String = b
                        .iter()
                        .chain(std::iter::once(&r.chars().last().unwrap_or('A')))
                        .collect();
                    assert!(!is_valid(&typo), "{typo}");
                }
            }
            if i < 10 && body[i] != body[i + 1] {
                let mut b = body.clone();
                b.swap(i, i + 1);
                let swapped: String = b
                    .iter()
                    .chain(std::iter::once(&r.chars().last().unwrap_or('A')))
                    .collect();
                assert!(!is_valid(&swapped), "{swapped}");
            }
        }
        assert!(!is_valid("PN26-000123"));
        let fixed = format("FPN", 2024, 45);
        assert!(
            fixed.starts_with("FPN24-000045") && is_valid(&fixed),
            "{fixed}"
        );
        assert!(!is_valid("FPNX24-000045A"));
        assert!(!is_valid("P26-000045A"));
        assert!(!is_valid(""));
        assert!(!is_valid("éé26-000123K"));
        assert_eq!(
            format("DK", 2031, 7),
            format!("DK31-000007{}", check_letter("DK31-000007"))
        );
    }
}
