//! A TCP proxy in front of the real PostgreSQL that a test can cut (every
//! connection reset, the port closed) and open again on the same port: the
//! database goes away for the client without restarting the server.

use std::net::SocketAddr;

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub struct Proxy {
    pub port: u16,
    cancel: CancellationToken,
    task: JoinHandle<()>,
}

impl Proxy {
    /// Listens on `port` (0: any free one) and forwards to `upstream`.
    pub async fn start(port: u16, upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let cancel = CancellationToken::new();
        let token = cancel.clone();
        let task = tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    () = token.cancelled() => return,
                    accepted = listener.accept() => accepted,
                };
                let Ok((mut client, _)) = accepted else {
                    continue;
                };
                let token = token.clone();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    tokio::select! {
                        () = token.cancelled() => {}
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                    }
                });
            }
        });
        Proxy { port, cancel, task }
    }

    /// Resets every connection and closes the port; returns the port.
    pub async fn cut(self) -> u16 {
        self.cancel.cancel();
        self.task.await.unwrap();
        self.port
    }
}
