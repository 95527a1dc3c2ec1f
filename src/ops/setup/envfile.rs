//! The environment file: read an existing one, render a new one from `.env.example` (one source
//! for the comments) with the wizard's values, and write it atomically with mode 0600.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use anyhow::Context;

use crate::ops::doctor::vars::is_placeholder;

/// The documented template; comments and order come from here.
const TEMPLATE: &str = include_str!("../../../.env.example");

pub type Values = BTreeMap<String, String>;

/// The variables of an existing file (`None` if there is no file).
pub fn read(path: &Path) -> anyhow::Result<Option<Values>> {
    if !path.exists() {
        return Ok(None);
    }
    let iter = dotenvy::from_path_iter(path).with_context(|| format!("{} tidak dapat dibaca", path.display()))?;
    let mut out = Values::new();
    for item in iter {
        // A parse error may quote the line, which may hold a secret: name the file only.
        let (k, v) =
            item.map_err(|_| anyhow::anyhow!("{} tidak valid: perbaiki atau pindahkan dulu", path.display()))?;
        out.insert(k, v);
    }
    Ok(Some(out))
}

/// A real (non-placeholder, non-empty) value of `key`.
pub fn real<'a>(values: &'a Values, key: &str) -> Option<&'a str> {
    values.get(key).map(|v| v.trim()).filter(|v| !v.is_empty() && !is_placeholder(v))
}

/// An existing file counts as configured when it holds a real token or key: replacing it needs
/// the owner's yes (or `--force`).
pub fn is_configured(values: &Values) -> bool {
    real(values, "TELEGRAM_BOT_TOKEN").is_some() || real(values, "DATABASE_KEY").is_some()
}

/// A value as the file holds it: bare when safe, else quoted the way both dotenvy and systemd's
/// EnvironmentFile= read back literally (single quotes; double quotes with `\` escapes when the
/// value has a single quote).
fn quote(v: &str) -> String {
    let plain = v.chars().all(|c| c.is_ascii_alphanumeric() || "-_.:/@,+=%".contains(c));
    if plain {
        v.to_string()
    } else if !v.contains('\'') {
        format!("'{v}'")
    } else {
        let mut out = String::from("\"");
        for c in v.chars() {
            if matches!(c, '"' | '\\' | '$') {
                out.push('\\');
            }
            out.push(c);
        }
        out.push('"');
        out
    }
}

/// The template with `values` filled in. Template placeholders without a value become empty;
/// `values` the template does not list are appended.
pub fn render(values: &Values, header: &str) -> String {
    let mut out = String::from(header);
    let mut seen = std::collections::BTreeSet::new();
    // The template's opening comment tells people to copy it by hand: not this file's story.
    let body = TEMPLATE.lines().skip_while(|l| l.starts_with('#') || l.trim().is_empty());
    for line in body {
        let assignment = (!line.starts_with('#')).then(|| line.split_once('=')).flatten();
        match assignment {
            Some((key, default)) => {
                let key = key.trim();
                seen.insert(key.to_string());
                let value = match values.get(key) {
                    Some(v) => v.clone(),
                    None if is_placeholder(default) => String::new(),
                    None => default.to_string(),
                };
                out.push_str(&format!("{key}={}\n", quote(&value)));
            }
            None => {
                // A commented-out optional variable that has a value now: write it under its comment.
                let commented = line.strip_prefix("# ").and_then(|l| l.split_once('=')).map(|(k, _)| k.trim());
                match commented.filter(|k| values.contains_key(*k) && is_var_name(k)) {
                    Some(k) => {
                        seen.insert(k.to_string());
                        out.push_str(&format!("{k}={}\n", quote(&values[k])));
                    }
                    None => {
                        out.push_str(line);
                        out.push('\n');
                    }
                }
            }
        }
    }
    let extra: Vec<_> = values.iter().filter(|(k, _)| !seen.contains(*k)).collect();
    if !extra.is_empty() {
        out.push_str("\n# --- More -------------------------------------------------------------------------------\n");
        for (k, v) in extra {
            out.push_str(&format!("{k}={}\n", quote(v)));
        }
    }
    out
}

fn is_var_name(k: &str) -> bool {
    !k.is_empty() && k.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// Replaces `path` in one step (a temporary file in the same directory, fsynced, renamed), mode
/// 0600 from the start, so no reader ever sees half a file or a readable one.
pub fn write_atomic(path: &Path, text: &str, mode: u32) -> anyhow::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("{} tidak dapat dibuat", dir.display()))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".quickcart-setup-")
        .tempfile_in(dir)
        .with_context(|| format!("{} tidak dapat ditulis", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file().set_permissions(std::fs::Permissions::from_mode(mode))?;
    }
    #[cfg(not(unix))]
    let _ = mode;
    tmp.write_all(text.as_bytes())?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error).with_context(|| format!("{} tidak dapat ditulis", path.display()))?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn render_fills_values_blanks_placeholders_and_parses_back() {
        let mut v = Values::new();
        v.insert("TELEGRAM_BOT_TOKEN".into(), "123456:ABCdef".into());
        v.insert("STORE_NAME".into(), "Toko Bu'Ani \"$1\"".into());
        v.insert("PAYMENT_EXPIRY_SECONDS".into(), "60".into());
        v.insert("BACKUP_REMOTE".into(), "b2:shop".into());
        let text = render(&v, "# header\n");
        assert!(text.starts_with("# header\n"));
        assert!(text.contains("TELEGRAM_BOT_TOKEN=123456:ABCdef\n"));
        assert!(text.contains("PAKASIR_API_KEY=\n"), "{text}");
        assert!(text.contains("PAYMENT_EXPIRY_SECONDS=60\n"), "{text}");
        assert!(!text.contains("replace-with"));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("q.env");
        write_atomic(&path, &text, 0o600).unwrap();
        let back = read(&path).unwrap().unwrap();
        assert_eq!(back["STORE_NAME"], "Toko Bu'Ani \"$1\"");
        assert_eq!(back["BACKUP_REMOTE"], "b2:shop");
        assert_eq!(back["PAKASIR_PROJECT"], "");
    }
}
