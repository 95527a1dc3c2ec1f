//! Roles a Telegram user can have.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    Customer,
    Reseller,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Reseller => "reseller",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "customer" => Some(Role::Customer),
            "reseller" => Some(Role::Reseller),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The four role commands of SPEC §5.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RoleCommand {
    AddAdmin,
    RmAdmin,
    AddReseller,
    RmReseller,
}

impl RoleCommand {
    pub const ALL: [RoleCommand; 4] =
        [RoleCommand::AddAdmin, RoleCommand::RmAdmin, RoleCommand::AddReseller, RoleCommand::RmReseller];

    /// The command as an admin types it.
    pub fn command(self) -> &'static str {
        match self {
            RoleCommand::AddAdmin => "/addadmin",
            RoleCommand::RmAdmin => "/rmadmin",
            RoleCommand::AddReseller => "/addreseller",
            RoleCommand::RmReseller => "/rmress",
        }
    }
}

/// Why a role command leaves the target's role as it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoleRefusal {
    /// The target already has the role the command gives.
    Already(Role),
    /// The target is listed in `ADMIN_IDS`: only the configuration changes that.
    EnvAdmin,
    /// Reseller commands never touch an admin (that would silently demote them).
    IsAdmin,
    /// `/rmadmin` on someone who is not an admin.
    NotAdmin(Role),
    /// `/rmress` on someone who is not a reseller.
    NotReseller(Role),
}

/// The one role-change rule table: what `cmd` does to a user whose stored role is `current`
/// (`env_admin`: listed in `ADMIN_IDS`, so an admin whatever is stored). `Ok` is the new role,
/// always different from `current`.
pub fn role_change(cmd: RoleCommand, current: Role, env_admin: bool) -> Result<Role, RoleRefusal> {
    use {Role as R, RoleCommand as C, RoleRefusal as X};
    if env_admin {
        return Err(match cmd {
            C::AddAdmin => X::Already(R::Admin),
            C::RmAdmin => X::EnvAdmin,
            C::AddReseller | C::RmReseller => X::IsAdmin,
        });
    }
    match (cmd, current) {
        (C::AddAdmin, R::Customer | R::Reseller) => Ok(R::Admin),
        (C::AddAdmin, R::Admin) => Err(X::Already(R::Admin)),
        (C::RmAdmin, R::Admin) => Ok(R::Customer),
        (C::RmAdmin, other) => Err(X::NotAdmin(other)),
        (C::AddReseller, R::Customer) => Ok(R::Reseller),
        (C::AddReseller, R::Reseller) => Err(X::Already(R::Reseller)),
        (C::RmReseller, R::Reseller) => Ok(R::Customer),
        (C::RmReseller, R::Customer) => Err(X::NotReseller(R::Customer)),
        (C::AddReseller | C::RmReseller, R::Admin) => Err(X::IsAdmin),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ROLES: [Role; 3] = [Role::Customer, Role::Reseller, Role::Admin];

    #[test]
    fn the_table() {
        use {Role as R, RoleCommand as C, RoleRefusal as X};
        let table = [
            (C::AddAdmin, R::Customer, Ok(R::Admin)),
            (C::AddAdmin, R::Reseller, Ok(R::Admin)),
            (C::AddAdmin, R::Admin, Err(X::Already(R::Admin))),
            (C::RmAdmin, R::Customer, Err(X::NotAdmin(R::Customer))),
            (C::RmAdmin, R::Reseller, Err(X::NotAdmin(R::Reseller))),
            (C::RmAdmin, R::Admin, Ok(R::Customer)),
            (C::AddReseller, R::Customer, Ok(R::Reseller)),
            (C::AddReseller, R::Reseller, Err(X::Already(R::Reseller))),
            (C::AddReseller, R::Admin, Err(X::IsAdmin)),
            (C::RmReseller, R::Customer, Err(X::NotReseller(R::Customer))),
            (C::RmReseller, R::Reseller, Ok(R::Customer)),
            (C::RmReseller, R::Admin, Err(X::IsAdmin)),
        ];
        for (cmd, current, want) in table {
            assert_eq!(role_change(cmd, current, false), want, "{cmd:?} on {current:?}");
        }
        for current in ROLES {
            assert_eq!(role_change(C::RmAdmin, current, true), Err(X::EnvAdmin));
            assert_eq!(role_change(C::RmReseller, current, true), Err(X::IsAdmin));
            assert_eq!(role_change(C::AddReseller, current, true), Err(X::IsAdmin));
            assert_eq!(role_change(C::AddAdmin, current, true), Err(X::Already(R::Admin)));
        }
    }

    fn role() -> impl Strategy<Value = Role> {
        proptest::sample::select(ROLES.to_vec())
    }

    fn command() -> impl Strategy<Value = RoleCommand> {
        proptest::sample::select(RoleCommand::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn every_pair_follows_the_rules(cmd in command(), current in role(), env_admin in any::<bool>()) {
            match role_change(cmd, current, env_admin) {
                Ok(new) => {
                    prop_assert_ne!(new, current, "a change always changes something");
                    prop_assert!(!env_admin, "an ADMIN_IDS admin is never changed from Telegram");
                    // Only /rmadmin ever takes the admin role away.
                    if current == Role::Admin {
                        prop_assert_eq!(cmd, RoleCommand::RmAdmin);
                    }
                    match cmd {
                        RoleCommand::AddAdmin => prop_assert_eq!(new, Role::Admin),
                        RoleCommand::AddReseller => {
                            prop_assert_eq!((current, new), (Role::Customer, Role::Reseller));
                        }
                        // /rmress only turns resellers into customers; /rmadmin only admins.
                        RoleCommand::RmReseller => {
                            prop_assert_eq!((current, new), (Role::Reseller, Role::Customer));
                        }
                        RoleCommand::RmAdmin => prop_assert_eq!((current, new), (Role::Admin, Role::Customer)),
                    }
                }
                Err(RoleRefusal::Already(r)) => {
                    prop_assert!(r == current || (env_admin && r == Role::Admin));
                }
                Err(RoleRefusal::EnvAdmin) => prop_assert!(env_admin && cmd == RoleCommand::RmAdmin),
                Err(RoleRefusal::IsAdmin) => {
                    prop_assert!(current == Role::Admin || env_admin);
                    prop_assert!(matches!(cmd, RoleCommand::AddReseller | RoleCommand::RmReseller));
                }
                Err(RoleRefusal::NotAdmin(r)) => prop_assert!(r == current && r != Role::Admin),
                Err(RoleRefusal::NotReseller(r)) => prop_assert!(r == current && r == Role::Customer),
            }
        }
    }
}
