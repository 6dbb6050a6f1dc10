//! Whether a postcode is in an authority's area: the area is a list of
//! postcode areas (`CT`), districts (`ME14`) and sectors (`DA1 1`), as the
//! catalogue gives them for the authority.

use super::normalise_postcode;

/// Whether `postcode` falls in `area`. A postcode that is not valid is not
/// in any area. An empty area is every postcode (no area configured).
pub fn in_area(postcode: &str, area: &[String]) -> bool {
    if area.is_empty() {
        return true;
    }
    let Some(postcode) = normalise_postcode(postcode) else {
        return false;
    };
    let Some((outward, inward)) = postcode.split_once(' ') else {
        return false;
    };
    let letters: String = outward
        .chars()
        .take_while(char::is_ascii_alphabetic)
        .collect();
    let sector = format!("{outward} {}", &inward[..1]);
    area.iter().any(|entry| {
        let entry = entry.trim().to_ascii_uppercase();
        entry == letters || entry == outward || entry == sector
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kent() -> Vec<String> {
        ["CT", "ME14", "ME10", "DA1 1", "TN23"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect()
    }

    #[test]
    fn areas_districts_and_sectors_match_and_nothing_else() {
        let area = kent();
        assert!(in_area("CT1 1AA", &area));
        assert!(in_area("ct19 5ju", &area));
        assert!(in_area("ME14 1XQ", &area));
        assert!(!in_area("ME7 2LS", &area), "Gillingham is Medway's");
        assert!(!in_area("ME1 2DN", &area), "Rochester is Medway's");
        assert!(in_area("DA1 1AA", &area));
        assert!(!in_area("DA1 4AA", &area), "Crayford is Bexley's");
        assert!(!in_area("TN2 3AA", &area));
        assert!(!in_area("ME140 1XQ", &area));
        assert!(!in_area("not a postcode", &area));
        assert!(in_area("SW1A 1AA", &[]));
    }
}
