//! Prometheus counters, rendered as text on `METRICS_BIND` (never behind Caddy).

use std::{
    collections::BTreeMap,
    fmt::Write,
    sync::{Mutex, OnceLock},
};

#[derive(Default)]
pub struct Metrics {
    /// `name{labels}` → value.
    counters: Mutex<BTreeMap<(String, String), u64>>,
}

/// The process-wide registry (one shop per process).
pub fn global() -> &'static Metrics {
    static M: OnceLock<Metrics> = OnceLock::new();
    M.get_or_init(Metrics::default)
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

fn labels(pairs: &[(&str, &str)]) -> String {
    let inner: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}=\"{}\"", escape(v))).collect();
    if inner.is_empty() {
        String::new()
    } else {
        format!("{{{}}}", inner.join(","))
    }
}

impl Metrics {
    pub fn inc(&self, name: &str, pairs: &[(&str, &str)]) {
        self.add(name, pairs, 1);
    }

    pub fn add(&self, name: &str, pairs: &[(&str, &str)], n: u64) {
        let mut c = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        *c.entry((name.to_string(), labels(pairs))).or_default() += n;
    }

    pub fn get(&self, name: &str, pairs: &[(&str, &str)]) -> u64 {
        let c = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        c.get(&(name.to_string(), labels(pairs))).copied().unwrap_or(0)
    }

    /// Counters, then the gauges measured at scrape time.
    pub fn render(&self, gauges: &[(&str, &str, i64)]) -> String {
        let mut out = String::new();
        let c = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        let mut last = "";
        for ((name, l), v) in c.iter() {
            if name != last {
                let _ = writeln!(out, "# TYPE {name} counter");
                last = name;
            }
            let _ = writeln!(out, "{name}{l} {v}");
        }
        for (name, help, v) in gauges {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {v}");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn renders_prometheus_text() {
        let m = super::Metrics::default();
        m.inc("bot_api_abuse_outcomes_total", &[("path", "polling"), ("outcome", "allow")]);
        m.inc("bot_api_abuse_outcomes_total", &[("path", "polling"), ("outcome", "allow")]);
        m.inc("webhook_outcomes_total", &[("reason", "a\"b")]);
        let text = m.render(&[("outbox_backlog", "messages not yet sent", 3)]);
        assert!(text.contains("bot_api_abuse_outcomes_total{path=\"polling\",outcome=\"allow\"} 2"));
        assert!(text.contains("webhook_outcomes_total{reason=\"a\\\"b\"} 1"));
        assert!(text.contains("outbox_backlog 3"));
    }
}
