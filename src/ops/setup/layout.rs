//! Where a shop lives on the VM, from its environment file: `/etc/quickcart/NAME.env` is the
//! shop NAME of the templated units (`quickcart@NAME.service`, data in
//! `/var/lib/quickcart/NAME/`), any other file the single shop's (`quickcart.service`). The
//! paths are the units' own (systemd/*.service), so what setup writes agrees with them.

use std::path::{Path, PathBuf};

pub struct Layout {
    /// `None`: the single shop.
    instance: Option<String>,
}

impl Layout {
    pub fn for_env_file(env_file: &Path) -> Self {
        let instance = env_file
            .file_stem()
            .and_then(|s| s.to_str())
            .filter(|name| env_file.parent() == Some(Path::new("/etc/quickcart")) && *name != "quickcart")
            .map(str::to_string);
        Self { instance }
    }

    fn unit(&self, base: &str, kind: &str) -> String {
        match &self.instance {
            Some(name) => format!("{base}@{name}.{kind}"),
            None => format!("{base}.{kind}"),
        }
    }

    pub fn service(&self) -> String {
        self.unit("quickcart", "service")
    }

    /// The shop's service and its backup and log timers.
    pub fn units(&self) -> String {
        format!(
            "{} {} {}",
            self.service(),
            self.unit("quickcart-backup", "timer"),
            self.unit("quickcart-logs", "timer")
        )
    }

    /// The single shop's site is Caddy's own file; a further shop's is written beside its
    /// environment, so setting it up never replaces the first shop's site.
    pub fn caddyfile(&self) -> PathBuf {
        match &self.instance {
            Some(name) => PathBuf::from(format!("/etc/quickcart/{name}.Caddyfile")),
            None => PathBuf::from("/etc/caddy/Caddyfile"),
        }
    }

    fn state(&self) -> PathBuf {
        let base = Path::new("/var/lib/quickcart");
        self.instance.as_deref().map_or_else(|| base.to_path_buf(), |name| base.join(name))
    }

    pub fn data_dir(&self) -> PathBuf {
        self.state().join("data")
    }

    pub fn backup_dir(&self) -> PathBuf {
        self.state().join("backups")
    }

    pub fn log_dir(&self) -> PathBuf {
        let base = Path::new("/var/log/quickcart");
        self.instance.as_deref().map_or_else(|| base.to_path_buf(), |name| base.join(name))
    }
}

#[cfg(test)]
mod tests {
    use super::Layout;
    use std::path::Path;

    #[test]
    fn a_second_shop_gets_the_templated_units_and_its_own_directories() {
        let one = Layout::for_env_file(Path::new("/etc/quickcart/quickcart.env"));
        assert_eq!(one.units(), "quickcart.service quickcart-backup.timer quickcart-logs.timer");
        assert_eq!(one.data_dir(), Path::new("/var/lib/quickcart/data"));
        let two = Layout::for_env_file(Path::new("/etc/quickcart/shop2.env"));
        assert_eq!(two.units(), "quickcart@shop2.service quickcart-backup@shop2.timer quickcart-logs@shop2.timer");
        assert_eq!(two.data_dir(), Path::new("/var/lib/quickcart/shop2/data"));
        assert_eq!(two.backup_dir(), Path::new("/var/lib/quickcart/shop2/backups"));
        assert_eq!(two.log_dir(), Path::new("/var/log/quickcart/shop2"));
        assert_eq!(one.caddyfile(), Path::new("/etc/caddy/Caddyfile"));
        assert_eq!(two.caddyfile(), Path::new("/etc/quickcart/shop2.Caddyfile"));
        assert_eq!(Layout::for_env_file(Path::new("/tmp/x/shop.env")).service(), "quickcart.service");
    }
}
