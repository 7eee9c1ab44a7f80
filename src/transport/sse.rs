//! Server-sent events: bytes in, complete events out. Pure, no I/O.

/// One event: its `event:` name (if any) and its joined `data:` lines.
#[derive(Debug, PartialEq, Eq)]
pub struct Event {
    pub name: Option<String>,
    pub data: String,
}

/// Incremental parser: feed it lines as they arrive; it yields an event at each blank line.
#[derive(Debug, Default)]
pub struct Parser {
    name: Option<String>,
    data: Option<String>,
}

impl Parser {
    /// Feeds one line (without its line ending). Returns an event when the line ends one.
    pub fn line(&mut self, line: &str) -> Option<Event> {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            return self.flush();
        }
        if line.starts_with(':') {
            return None;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "event" => self.name = Some(value.to_string()),
            "data" => match &mut self.data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => self.data = Some(value.to_string()),
            },
            _ => {}
        }
        None
    }

    /// Ends the stream: a last event without its blank line still counts.
    pub fn flush(&mut self) -> Option<Event> {
        let name = self.name.take();
        self.data.take().map(|data| Event { name, data })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(text: &str) -> Vec<Event> {
        let mut p = Parser::default();
        let mut out: Vec<Event> = text.split('\n').filter_map(|l| p.line(l)).collect();
        out.extend(p.flush());
        out
    }

    #[test]
    fn parses_the_shapes_providers_send() {
        let got = events("data: {\"a\":1}\n\ndata: [DONE]\n\n");
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].data, "{\"a\":1}");
        assert_eq!(got[1].data, "[DONE]");
        let got = events("event: message_stop\r\ndata: {}\r\n\r\n");
        assert_eq!(got[0].name.as_deref(), Some("message_stop"));
        assert_eq!(got[0].data, "{}");
        let got = events(": keep-alive\n\ndata:a\ndata:b\n\n");
        assert_eq!(
            got,
            [Event {
                name: None,
                data: "a\nb".into()
            }]
        );
        let got = events("data: tail without blank line");
        assert_eq!(got[0].data, "tail without blank line");
        assert!(events("event: ping\n\n").is_empty());
    }
}
