//! Questions on stdout, answers from stdin one line at a time (a pipe works as well as a
//! terminal). In `--yes` mode nothing is asked: a missing answer is an error naming the flag.

use std::io::{BufRead, Write};

use anyhow::{anyhow, bail};

pub struct Prompt {
    interactive: bool,
    input: Box<dyn BufRead>,
}

impl Prompt {
    pub fn new(interactive: bool) -> Self {
        Self { interactive, input: Box::new(std::io::BufReader::new(std::io::stdin())) }
    }

    pub fn interactive(&self) -> bool {
        self.interactive
    }

    /// Prints a line for the owner.
    pub fn say(&self, text: impl AsRef<str>) {
        println!("{}", text.as_ref());
    }

    /// One answer, trimmed. `flag` names the option that gives it without asking.
    pub fn ask(&mut self, question: &str, flag: &str) -> anyhow::Result<String> {
        if !self.interactive {
            bail!("{flag} wajib diisi dengan --yes");
        }
        print!("{question}: ");
        let _ = std::io::stdout().flush();
        let mut line = String::new();
        let n = self.input.read_line(&mut line)?;
        if n == 0 {
            // The echo of a piped answer is missing; end the prompt's line.
            println!();
            return Err(anyhow!("masukan berakhir sebelum pertanyaan ini terjawab: {question}"));
        }
        // A terminal echoes the answer and its Enter; from a pipe, end the line here (the answer
        // itself is not echoed: it may be a secret).
        if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
            println!();
        }
        Ok(line.trim().to_string())
    }

    /// An answer that may keep `old` (Enter, or always with `--yes`). `shown`: whether `old` may be
    /// printed in the question (not for secrets).
    pub fn ask_or_keep(
        &mut self,
        question: &str,
        flag: &str,
        old: Option<&str>,
        shown: bool,
    ) -> anyhow::Result<String> {
        match (old, self.interactive) {
            (Some(o), false) => Ok(o.to_string()),
            (None, _) => self.ask(question, flag),
            (Some(o), true) => {
                let hint = if shown { format!(" [Enter = {o}]") } else { " [Enter = yang lama]".to_string() };
                let a = self.ask(&format!("{question}{hint}"), flag)?;
                Ok(if a.is_empty() { o.to_string() } else { a })
            }
        }
    }

    /// A yes/no question; Enter takes `default`. Without a terminal (`--yes`): `default_yes_mode`.
    pub fn confirm(
        &mut self,
        question: &str,
        default: bool,
        flag: &str,
        when_yes_mode: Option<bool>,
    ) -> anyhow::Result<bool> {
        if !self.interactive {
            return when_yes_mode.ok_or_else(|| anyhow!("{flag} diperlukan dengan --yes"));
        }
        let hint = if default { "[Y/n]" } else { "[y/N]" };
        loop {
            let answer = self.ask(&format!("{question} {hint}"), flag)?.to_ascii_lowercase();
            match answer.as_str() {
                "" => return Ok(default),
                "y" | "ya" | "yes" => return Ok(true),
                "n" | "t" | "tidak" | "no" => return Ok(false),
                _ => self.say("  jawab y (ya) atau n (tidak)"),
            }
        }
    }
}
