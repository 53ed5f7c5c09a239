//! A minimal HTTP/1.1 keep-alive client: just enough for the benchmark, so that the load
//! generator spends as little CPU as possible per request.

use anyhow::{Context, bail};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

pub struct Connection {
    stream: BufReader<TcpStream>,
    host: String,
    /// The request being written (kept between requests, so not allocated each time).
    head: String,
    /// A body handed back with `recycle`, read into by the next answer.
    spare_body: Vec<u8>,
}

impl Connection {
    pub async fn open(addr: &str) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream: BufReader::with_capacity(64 * 1024, stream),
            host: addr.to_string(),
            head: String::new(),
            spare_body: Vec::new(),
        })
    }

    pub async fn request(
        &mut self,
        method: &str,
        path: &str,
        authorization: Option<&str>,
        form: &str,
    ) -> anyhow::Result<Response> {
        let headers: Vec<(&str, String)> = authorization.map(|a| ("Authorization", a.to_string())).into_iter().collect();
        let content_type = if method == "GET" { None } else { Some("application/x-www-form-urlencoded") };
        self.send(method, path, &headers, content_type, form).await
    }

    /// Takes back the body of an answer read (its memory holds the next one).
    pub fn recycle(&mut self, response: Response) {
        self.spare_body = response.body;
    }

    /// A request with any headers and an optional typed body.
    pub async fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, String)],
        content_type: Option<&str>,
        body: &str,
    ) -> anyhow::Result<Response> {
        let head = &mut self.head;
        head.clear();
        for part in [method, " ", path, " HTTP/1.1\r\nHost: ", &self.host, "\r\n"] {
            head.push_str(part);
        }
        for (k, v) in headers {
            for part in [k, ": ", v.as_str(), "\r\n"] {
                head.push_str(part);
            }
        }
        if let Some(ct) = content_type {
            use std::fmt::Write;
            write!(head, "Content-Type: {ct}\r\nContent-Length: {}\r\n", body.len())?;
        }
        head.push_str("\r\n");
        head.push_str(body);
        self.stream.get_mut().write_all(head.as_bytes()).await?;

        let mut line = String::new();
        self.stream.read_line(&mut line).await?;
        let status: u16 = line.split_whitespace().nth(1).context("status line")?.parse()?;
        let mut length = None;
        let mut chunked = false;
        let mut headers = Vec::new();
        loop {
            line.clear();
            if self.stream.read_line(&mut line).await? == 0 {
                bail!("connection closed");
            }
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                headers.push((k.trim().to_string(), v.trim().to_string()));
                if k.eq_ignore_ascii_case("content-length") {
                    length = Some(v.trim().parse::<usize>()?);
                } else if k.eq_ignore_ascii_case("transfer-encoding") && v.trim().eq_ignore_ascii_case("chunked") {
                    chunked = true;
                }
            }
        }
        let mut body = std::mem::take(&mut self.spare_body);
        body.clear();
        if chunked {
            loop {
                line.clear();
                self.stream.read_line(&mut line).await?;
                let size = usize::from_str_radix(line.trim(), 16)?;
                let mut chunk = vec![0; size + 2];
                self.stream.read_exact(&mut chunk).await?;
                if size == 0 {
                    break;
                }
                body.extend_from_slice(&chunk[..size]);
            }
        } else if let Some(n) = length {
            // What the reader holds already, then the rest straight from the socket into the
            // body: an answer of many kilobytes is neither zeroed first nor copied twice.
            body.reserve_exact(n);
            let held = self.stream.buffer().len().min(n);
            body.extend_from_slice(&self.stream.buffer()[..held]);
            std::pin::Pin::new(&mut self.stream).consume(held);
            while body.len() < n {
                let want = n - body.len();
                if self.stream.get_mut().read_buf(&mut bytes::BufMut::limit(&mut body, want)).await? == 0 {
                    bail!("connection closed after {} of {n} body bytes", body.len());
                }
            }
        }
        Ok(Response { status, headers, body })
    }
}
