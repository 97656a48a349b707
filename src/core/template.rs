//! Rendering the templates under `shims/` (compiled into the binary):
//! `@NAME@` placeholders get values the caller has already quoted for the
//! target syntax; a line that is only `@EXPORTS@`-style (a placeholder
//! alone on its line) may expand to several lines or to none.

/// Replaces every `@KEY@` in `template` with its value. A placeholder that
/// is alone on its line and whose value is empty removes the line.
pub fn render(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 128);
    for line in template.split_inclusive('\n') {
        let body = line.strip_suffix('\n').unwrap_or(line);
        if let Some((_, v)) = values.iter().find(|(k, _)| is_placeholder(body, k)) {
            out.push_str(v);
            continue;
        }
        substitute(line, values, &mut out);
    }
    out
}

/// One left-to-right pass, so a value is never scanned for placeholders.
fn substitute(mut rest: &str, values: &[(&str, &str)], out: &mut String) {
    while let Some(at) = rest.find('@') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let hit = after.find('@').and_then(|end| {
            let key = &after[..end];
            values
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| (end, *v))
        });
        match hit {
            Some((end, v)) => {
                out.push_str(v);
                rest = &after[end + 1..];
            }
            None => {
                out.push('@');
                rest = after;
            }
        }
    }
    out.push_str(rest);
}

fn is_placeholder(line: &str, key: &str) -> bool {
    line.len() == key.len() + 2
        && line.starts_with('@')
        && line.ends_with('@')
        && &line[1..line.len() - 1] == key
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn inline_and_whole_line_placeholders() {
        let t = "a=@A@\n@LINES@\nend\n";
        assert_eq!(render(t, &[("A", "'x'"), ("LINES", "")]), "a='x'\nend\n");
        assert_eq!(
            render(t, &[("A", "1"), ("LINES", "k=v\nj=w\n")]),
            "a=1\nk=v\nj=w\nend\n"
        );
    }

    #[test]
    fn values_are_not_rescanned() {
        // A value that looks like a placeholder stays literal.
        assert_eq!(render("@A@ @B@\n", &[("A", "@B@"), ("B", "b")]), "@B@ b\n");
    }
}
