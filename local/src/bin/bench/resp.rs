//! The benchmark's own Redis bookkeeping (loading the ceiling script,
//! dropping cached searches between uncached iterations) through the `redis`
//! crate, over the same TLS and ACL user as the product
//! (`shared::store::redis::client`). The product's Redis access is never
//! measured through this.

use anyhow::Context;
use redis::aio::MultiplexedConnection;

#[derive(Debug, Clone)]
pub enum Reply {
    Status(String),
    Integer(i64),
    Bulk(Option<Vec<u8>>),
    /// An array reply (its elements are dropped).
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

impl From<redis::Value> for Reply {
    fn from(value: redis::Value) -> Self {
        match value {
            redis::Value::Int(i) => Reply::Integer(i),
            redis::Value::BulkString(bytes) => Reply::Bulk(Some(bytes)),
            redis::Value::SimpleString(s) => Reply::Status(s),
            redis::Value::Okay => Reply::Status("OK".into()),
            redis::Value::Nil => Reply::Bulk(None),
            _ => Reply::Array,
        }
    }
}

pub struct Resp {
    connection: MultiplexedConnection,
}

impl Resp {
    /// `url` as `REDIS_URL`; `REDIS_CA_FILE` names a private CA.
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        let ca = std::env::var("REDIS_CA_FILE").ok().filter(|c| !c.is_empty());
        let client = shared::store::redis::client(url, ca.as_deref()).map_err(anyhow::Error::msg)?;
        let connection = client.get_multiplexed_async_connection().await.context("connecting to Redis")?;
        Ok(Resp { connection })
    }

    pub async fn command(&mut self, args: &[&str]) -> anyhow::Result<Reply> {
        let mut command = redis::cmd(args[0]);
        for arg in &args[1..] {
            command.arg(*arg);
        }
        let value: redis::Value = command.query_async(&mut self.connection).await?;
        Ok(value.into())
    }

    /// Sends several commands in one round trip and returns their replies.
    pub async fn pipeline(&mut self, commands: &[Vec<String>]) -> anyhow::Result<Vec<Reply>> {
        let mut pipe = redis::pipe();
        for command in commands {
            let mut cmd = redis::cmd(&command[0]);
            for arg in &command[1..] {
                cmd.arg(arg);
            }
            pipe.add_command(cmd);
        }
        let values: Vec<redis::Value> = pipe.query_async(&mut self.connection).await?;
        Ok(values.into_iter().map(Reply::from).collect())
    }
}
