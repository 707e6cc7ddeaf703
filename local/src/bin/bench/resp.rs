//! A minimal Redis (RESP2) client for the benchmark's own bookkeeping:
//! loading the ceiling script, dropping cached searches between uncached
//! iterations. The product's Redis access is never measured through this.

use anyhow::{bail, Context};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

#[derive(Debug, Clone)]
pub enum Reply {
    Status(String),
    Integer(i64),
    Bulk(Option<Vec<u8>>),
    /// An array reply (its elements are read and dropped).
    Array,
}

impl Reply {
    pub fn text(&self) -> Option<String> {
        match self {
            Reply::Status(s) => Some(s.clone()),
            Reply::Bulk(Some(b)) => Some(String::from_utf8_lossy(b).into_owned()),
            Reply::Integer(i) => Some(i.to_string()),
            _ => None,
        }
    }
}

pub struct Resp {
    stream: BufReader<TcpStream>,
}

impl Resp {
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        let target = crate::ceilings::RedisTarget::from_url(url)?;
        let stream = TcpStream::connect((target.host.as_str(), target.port))
            .await
            .with_context(|| format!("connecting to Redis at {}:{}", target.host, target.port))?;
        stream.set_nodelay(true)?;
        Ok(Resp { stream: BufReader::new(stream) })
    }

    fn encode(args: &[&[u8]], out: &mut Vec<u8>) {
        out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
        for arg in args {
            out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
            out.extend_from_slice(arg);
            out.extend_from_slice(b"\r\n");
        }
    }

    pub async fn command(&mut self, args: &[&str]) -> anyhow::Result<Reply> {
        let mut out = Vec::new();
        Self::encode(&args.iter().map(|a| a.as_bytes()).collect::<Vec<_>>(), &mut out);
        self.stream.get_mut().write_all(&out).await?;
        self.read().await
    }

    /// Sends several commands in one write and reads all their replies.
    pub async fn pipeline(&mut self, commands: &[Vec<String>]) -> anyhow::Result<Vec<Reply>> {
        let mut out = Vec::new();
        for command in commands {
            Self::encode(&command.iter().map(|a| a.as_bytes()).collect::<Vec<_>>(), &mut out);
        }
        self.stream.get_mut().write_all(&out).await?;
        let mut replies = Vec::with_capacity(commands.len());
        for _ in commands {
            replies.push(self.read().await?);
        }
        Ok(replies)
    }

    fn read(&mut self) -> std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<Reply>> + Send + '_>> {
        Box::pin(async move {
            let mut line = String::new();
            self.stream.read_line(&mut line).await?;
            let line = line.trim_end_matches("\r\n");
            let (kind, rest) = line.split_at(1.min(line.len()));
            Ok(match kind {
                "+" => Reply::Status(rest.to_string()),
                "-" => bail!("Redis error: {rest}"),
                ":" => Reply::Integer(rest.parse()?),
                "$" => {
                    let len: i64 = rest.parse()?;
                    if len < 0 {
                        Reply::Bulk(None)
                    } else {
                        let mut buf = vec![0u8; len as usize + 2];
                        self.stream.read_exact(&mut buf).await?;
                        buf.truncate(len as usize);
                        Reply::Bulk(Some(buf))
                    }
                }
                "*" => {
                    let len: i64 = rest.parse()?;
                    for _ in 0..len.max(0) {
                        self.read().await?;
                    }
                    Reply::Array
                }
                _ => bail!("unexpected Redis reply {line:?}"),
            })
        })
    }
}
