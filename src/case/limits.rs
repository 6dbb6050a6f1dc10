//! Limits on the shape of case data, checked before anything else reads
//! it: how deeply it nests and how long any array is. Each field's own
//! schema sets tighter bounds where the law or the layout does (sessions,
//! exhibits, notices); these bound everything else, so no case, however
//! built, costs more than the service was sized for.

use serde_json::Value;

use super::Problem;

/// Nesting allowed by default: a case nests five deep at most.
pub const DEFAULT_JSON_DEPTH: usize = 32;
/// Items allowed in any one array by default: the longest any schema
/// allows (a year's register sessions) is 1,000.
pub const DEFAULT_ARRAY_ITEMS: usize = 1_000;

/// Every place `case` goes beyond `depth` levels of nesting or holds an
/// array longer than `items`, by JSON pointer (the first place per
/// branch: nothing under a refused level is looked at).
pub fn check(case: &Value, depth: usize, items: usize) -> Vec<Problem> {
    let mut problems = Vec::new();
    walk(case, &mut String::new(), 1, depth, items, &mut problems);
    problems
}

fn walk(
    value: &Value,
    at: &mut String,
    level: usize,
    depth: usize,
    items: usize,
    out: &mut Vec<Problem>,
) {
    let children: Box<dyn Iterator<Item = (String, &Value)>> = match value {
        Value::Array(list) => {
            if list.len() > items {
                out.push(Problem::refusal(
                    at.clone(),
                    "limit.array-length",
                    format!("holds {} items; at most {items} are accepted", list.len()),
                ));
                return;
            }
            Box::new(list.iter().enumerate().map(|(i, v)| (i.to_string(), v)))
        }
        Value::Object(map) => Box::new(
            map.iter()
                .map(|(k, v)| (k.replace('~', "~0").replace('/', "~1"), v)),
        ),
        _ => return,
    };
    if level > depth {
        out.push(Problem::refusal(
            at.clone(),
            "limit.json-depth",
            format!("nests deeper than {depth} levels, the most accepted"),
        ));
        return;
    }
    for (key, child) in children {
        let len = at.len();
        at.push('/');
        at.push_str(&key);
        walk(child, at, level + 1, depth, items, out);
        at.truncate(len);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_deep_case_is_refused_where_it_goes_too_deep() {
        let case = json!({"a": {"b": {"c": [1, 2]}}});
        assert!(check(&case, 4, 10).is_empty());
        let p = check(&case, 2, 10);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].pointer, "/a/b");
        assert_eq!(p[0].rule.as_deref(), Some("limit.json-depth"));
    }

    #[test]
    fn each_long_array_is_named() {
        let case = json!({"x": [0, 1, 2], "y": {"z/w": [0, 1, 2, 3]}, "ok": [1]});
        let p = check(&case, 32, 2);
        let at: Vec<_> = p.iter().map(|p| p.pointer.as_str()).collect();
        assert_eq!(at, ["/x", "/y/z~1w"]);
        assert!(
            p.iter()
                .all(|p| p.rule.as_deref() == Some("limit.array-length"))
        );
    }
}
