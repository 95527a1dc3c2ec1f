//! The Caddy site: the repository's `Caddyfile` (one source) with the shop's domain written in,
//! so Caddy's own environment never needs editing.

use std::path::Path;

use anyhow::{bail, Context};

const TEMPLATE: &str = include_str!("../../../Caddyfile");
const DOMAIN_PLACEHOLDER: &str = "{$QUICKCART_DOMAIN}";

/// A bare host name (`toko.contoh.id`), from what the owner typed (a URL is accepted too).
pub fn domain(raw: &str) -> anyhow::Result<String> {
    let d = raw.trim().trim_start_matches("https://").trim_start_matches("http://").trim_end_matches('/');
    let d = d.to_ascii_lowercase();
    let labels_ok = d.split('.').all(|l| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    });
    if !labels_ok || !d.contains('.') || d.len() > 253 {
        bail!("\"{}\" bukan nama domain (contoh: toko.contoh.id)", raw.trim());
    }
    Ok(d)
}

/// The Caddyfile for `domain`, headed by a note on where it came from.
pub fn render(domain: &str) -> anyhow::Result<String> {
    if !TEMPLATE.contains(DOMAIN_PLACEHOLDER) {
        bail!("templat Caddyfile tidak berisi {DOMAIN_PLACEHOLDER}");
    }
    // The template's opening comment explains the placeholder this rendering removes.
    let body: String =
        TEMPLATE.lines().skip_while(|l| l.starts_with('#') || l.trim().is_empty()).map(|l| format!("{l}\n")).collect();
    Ok(format!(
        "# QuickCart behind Caddy for {domain}, written by `quickcart setup`.\n\
         # TLS on 443 with an automatic certificate, 80 -> 443, and only /webhook/pakasir and\n\
         # /webhook/telegram reach the shop on 127.0.0.1:8080. Needs ports 80 and 443 open and the\n\
         # domain's A/AAAA record pointing at this VM. Apply with: systemctl reload caddy\n\n{}",
        body.replace(DOMAIN_PLACEHOLDER, domain)
    ))
}

/// Writes the site; an existing different file is kept as `FILE.bak`. Says what happened.
pub fn write(path: &Path, text: &str) -> anyhow::Result<String> {
    match std::fs::read_to_string(path) {
        Ok(old) if old == text => Ok(format!("{} sudah benar", path.display())),
        Ok(_) => {
            let mut bak = path.as_os_str().to_owned();
            bak.push(".bak");
            let bak = std::path::PathBuf::from(bak);
            std::fs::copy(path, &bak).with_context(|| format!("{} tidak dapat disalin", path.display()))?;
            super::envfile::write_atomic(path, text, 0o644)?;
            Ok(format!("{} ditulis (yang lama disimpan di {})", path.display(), bak.display()))
        }
        Err(_) => {
            super::envfile::write_atomic(path, text, 0o644)?;
            Ok(format!("{} ditulis", path.display()))
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_checked_and_rendered() {
        assert_eq!(domain(" https://Toko.Contoh.ID/ ").unwrap(), "toko.contoh.id");
        for bad in ["", "localhost", "a b.id", "-x.id", "toko..id", "x.id/path"] {
            assert!(domain(bad).is_err(), "{bad}");
        }
        let text = render("toko.contoh.id").unwrap();
        assert!(text.contains("toko.contoh.id {"));
        assert!(!text.contains("QUICKCART_DOMAIN"));
        assert!(!text.contains("systemctl edit"));
        assert!(text.contains("/webhook/pakasir /webhook/telegram"));
    }
}
