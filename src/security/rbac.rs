//! The one permission check. Roles come from the database, plus the `ADMIN_IDS` whitelist which
//! always wins. Handlers ask [`authorize`]; nothing else decides access. Who may run a command is
//! its row in the command table (`domain::commands`).

use crate::domain::{callback::Callback, commands, role::Role};

/// The role a user acts with: `ADMIN_IDS` makes an admin whatever the database says.
pub fn resolve_role(stored: Option<Role>, user_id: i64, admin_ids: &[i64]) -> Role {
    if admin_ids.contains(&user_id) {
        Role::Admin
    } else {
        stored.unwrap_or(Role::Customer)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// Denied; the reason goes to the `rbac_deny` event, never to the user.
    Deny(&'static str),
}

/// May `role` run the slash command `command` (lowercase, without `/`)? Unknown commands are
/// allowed here: they get the "unknown" answer, which tells nothing.
pub fn authorize(role: Role, command: &str) -> Decision {
    if !commands::is_admin_command(command) {
        return Decision::Allow;
    }
    match role {
        Role::Admin => Decision::Allow,
        Role::Reseller | Role::Customer => Decision::Deny("admin_command_requires_admin_role"),
    }
}

/// May `role` press this inline button? Refund and review decisions are admin buttons.
pub fn authorize_callback(role: Role, cb: &Callback) -> Decision {
    if (cb.is_admin_decision() || cb.is_admin_only()) && role != Role::Admin {
        Decision::Deny("admin_button_requires_admin_role")
    } else {
        Decision::Allow
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::commands::{Access, COMMANDS};

    #[test]
    fn every_admin_row_is_denied_to_customers_and_resellers() {
        let mut admin_rows = 0;
        for row in COMMANDS {
            for name in std::iter::once(&row.name).chain(row.aliases) {
                assert_eq!(authorize(Role::Admin, name), Decision::Allow, "/{name}");
                for role in [Role::Reseller, Role::Customer] {
                    let denied = matches!(authorize(role, name), Decision::Deny(_));
                    assert_eq!(denied, row.access() == Access::Admin, "/{name} for {role:?}");
                }
            }
            admin_rows += usize::from(row.access() == Access::Admin);
        }
        assert_eq!(admin_rows, commands::ADMIN_COMMANDS.len());
        assert_eq!(authorize(Role::Customer, "start"), Decision::Allow);
        assert_eq!(authorize(Role::Customer, "help"), Decision::Allow);
    }

    #[test]
    fn admin_buttons() {
        for cb in [
            Callback::RefundApprove(1),
            Callback::RefundReject(1),
            Callback::ReviewApprove(1),
            Callback::ReviewReject(1),
        ] {
            assert_eq!(authorize_callback(Role::Admin, &cb), Decision::Allow);
            assert!(matches!(authorize_callback(Role::Customer, &cb), Decision::Deny(_)));
            assert!(matches!(authorize_callback(Role::Reseller, &cb), Decision::Deny(_)));
        }
        assert_eq!(authorize_callback(Role::Customer, &Callback::RefundRequest(1)), Decision::Allow);
    }

    #[test]
    fn whitelist_wins() {
        assert_eq!(resolve_role(Some(Role::Customer), 7, &[7]), Role::Admin);
        assert_eq!(resolve_role(None, 8, &[7]), Role::Customer);
        assert_eq!(resolve_role(Some(Role::Reseller), 8, &[7]), Role::Reseller);
    }
}
