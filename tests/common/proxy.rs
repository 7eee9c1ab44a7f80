//! A fake proxy on 127.0.0.1:0, in the test process: an HTTP CONNECT proxy or a SOCKS5
//! proxy that records where each tunnel was asked to go, then relays it to one fixed
//! address (a `FakeServer`), whatever the name asked for.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

#[derive(Clone, Copy)]
pub enum Protocol {
    /// `CONNECT host:port HTTP/1.1`; records the request line.
    Connect,
    /// SOCKS5 without authentication; records `host:port`.
    Socks5,
}

pub struct FakeProxy {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<String>>>,
}

impl FakeProxy {
    /// A proxy that relays every tunnel to `target`.
    pub fn start(protocol: Protocol, target: SocketAddr) -> FakeProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let log = log.clone();
                std::thread::spawn(move || {
                    let _ = tunnel(protocol, conn, target, &log);
                });
            }
        });
        FakeProxy { addr, seen }
    }

    /// The proxy's URL with this scheme (`http`, `socks5`, `socks5h`).
    pub fn url(&self, scheme: &str) -> String {
        format!("{scheme}://{}", self.addr)
    }

    /// Where each tunnel was asked to go.
    pub fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

fn tunnel(
    protocol: Protocol,
    mut client: TcpStream,
    target: SocketAddr,
    log: &Mutex<Vec<String>>,
) -> std::io::Result<()> {
    match protocol {
        Protocol::Connect => {
            let mut reader = BufReader::new(client.try_clone()?);
            let mut first = String::new();
            reader.read_line(&mut first)?;
            let mut line = String::new();
            while reader.read_line(&mut line)? > 2 {
                line.clear();
            }
            log.lock().unwrap().push(first.trim_end().to_string());
            client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")?;
        }
        Protocol::Socks5 => {
            let mut head = [0u8; 2];
            client.read_exact(&mut head)?;
            let mut methods = vec![0u8; head[1] as usize];
            client.read_exact(&mut methods)?;
            client.write_all(&[5, 0])?;
            let mut req = [0u8; 4];
            client.read_exact(&mut req)?;
            let host = match req[3] {
                1 => {
                    let mut ip = [0u8; 4];
                    client.read_exact(&mut ip)?;
                    std::net::Ipv4Addr::from(ip).to_string()
                }
                3 => {
                    let mut len = [0u8; 1];
                    client.read_exact(&mut len)?;
                    let mut name = vec![0u8; len[0] as usize];
                    client.read_exact(&mut name)?;
                    String::from_utf8_lossy(&name).into_owned()
                }
                _ => {
                    let mut ip = [0u8; 16];
                    client.read_exact(&mut ip)?;
                    format!("[{}]", std::net::Ipv6Addr::from(ip))
                }
            };
            let mut port = [0u8; 2];
            client.read_exact(&mut port)?;
            log.lock()
                .unwrap()
                .push(format!("{host}:{}", u16::from_be_bytes(port)));
            client.write_all(&[5, 0, 0, 1, 127, 0, 0, 1, 0, 0])?;
        }
    }
    let upstream = TcpStream::connect(target)?;
    let (mut c2, mut u2) = (client.try_clone()?, upstream.try_clone()?);
    let up = std::thread::spawn(move || {
        let _ = std::io::copy(&mut c2, &mut u2);
        let _ = u2.shutdown(std::net::Shutdown::Write);
    });
    let (mut u, mut c) = (upstream, client);
    let _ = std::io::copy(&mut u, &mut c);
    let _ = c.shutdown(std::net::Shutdown::Both);
    let _ = up.join();
    Ok(())
}
