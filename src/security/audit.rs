//! Helpers to build audit entries (SPEC §8). The log itself is in `store::audit`.

use crate::{
    domain::audit::{ActorType, AuditAction},
    store::audit::Entry,
};

pub fn entry(actor_id: Option<i64>, actor_type: ActorType, action: AuditAction) -> Entry {
    Entry {
        metadata: serde_json::json!({}),
        correlation_id: format!("{:016x}", rand::random::<u64>()),
        ..Entry::new(actor_id, actor_type, action)
    }
}

pub trait EntryExt {
    fn entity(self, kind: &str, id: impl ToString) -> Self;
    fn before(self, v: serde_json::Value) -> Self;
    fn after(self, v: serde_json::Value) -> Self;
    fn meta(self, v: serde_json::Value) -> Self;
}

impl EntryExt for Entry {
    fn entity(mut self, kind: &str, id: impl ToString) -> Self {
        self.entity_type = kind.to_string();
        self.entity_id = id.to_string();
        self
    }
    fn before(mut self, v: serde_json::Value) -> Self {
        self.before = Some(v);
        self
    }
    fn after(mut self, v: serde_json::Value) -> Self {
        self.after = Some(v);
        self
    }
    fn meta(mut self, v: serde_json::Value) -> Self {
        self.metadata = v;
        self
    }
}
