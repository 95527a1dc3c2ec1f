//! Fakes of the external services QuickCart talks to (Telegram Bot API, Pakasir v2), speaking
//! their real HTTP/JSON. Used by end-to-end tests (SPEC §10) and by `quickcart demo`.

pub mod fake_pakasir;
pub mod fake_telegram;

pub use fake_pakasir::{FakePakasir, PakasirCall, PakasirFault, PakasirRoute, Txn};
pub use fake_telegram::{BotMessage, Button, Call, FakeTelegram, FakeUser, Fault, MsgKind, RateLimit};
