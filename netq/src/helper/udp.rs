//! The probe: an echo server and a client that sends numbered, timestamped datagrams and tallies
//! what comes back ([`ProbeTally`]). UDP, so nothing below it hides duplicates or reorders.

use std::net::{SocketAddrV4, UdpSocket};
use std::time::{Duration, Instant};

use faultline_netq::ProbeTally;

use super::error::HelperError;

/// `echo`: sends every datagram back to where it came from, forever.
pub fn echo(port: u16) -> Result<(), HelperError> {
    let sock =
        UdpSocket::bind(("0.0.0.0", port)).map_err(HelperError::io("binding the echo port"))?;
    let mut buf = [0u8; 2048];
    loop {
        let (n, from) = sock
            .recv_from(&mut buf)
            .map_err(HelperError::io("receiving"))?;
        let _ = sock.send_to(&buf[..n], from);
    }
}

/// `ping`: `count` datagrams `interval_ms` apart; prints the [`faultline_netq::ProbeReport`].
pub fn ping(
    to: SocketAddrV4,
    count: u64,
    interval_ms: f64,
    linger_ms: u64,
) -> Result<(), HelperError> {
    let sock = UdpSocket::bind("0.0.0.0:0").map_err(HelperError::io("binding the probe socket"))?;
    sock.connect(to)
        .map_err(HelperError::io("connecting the probe socket"))?;
    let start = Instant::now();
    let sender = sock
        .try_clone()
        .map_err(HelperError::io("cloning the probe socket"))?;
    let interval = Duration::from_secs_f64(interval_ms.max(0.0) / 1000.0);
    let sending = std::thread::spawn(move || {
        let mut sent = 0u64;
        for seq in 0..count {
            let at = start.elapsed().as_nanos() as u64;
            let mut datagram = [0u8; 16];
            datagram[..8].copy_from_slice(&seq.to_be_bytes());
            datagram[8..].copy_from_slice(&at.to_be_bytes());
            if sender.send(&datagram).is_ok() {
                sent += 1;
            }
            if !interval.is_zero() {
                // Paced from the start, so a slow send does not stretch the whole run.
                let next = interval * (seq as u32 + 1);
                if let Some(wait) = next.checked_sub(start.elapsed()) {
                    std::thread::sleep(wait);
                }
            }
        }
        sent
    });
    let mut tally = ProbeTally::default();
    let mut buf = [0u8; 64];
    let mut done_at: Option<Instant> = None;
    sock.set_read_timeout(Some(Duration::from_millis(20)))
        .map_err(HelperError::io("setting the read timeout"))?;
    loop {
        if done_at.is_none() && sending.is_finished() {
            done_at = Some(Instant::now());
        }
        if done_at.is_some_and(|d| d.elapsed() >= Duration::from_millis(linger_ms)) {
            break;
        }
        match sock.recv(&mut buf) {
            Ok(16) => {
                let seq = u64::from_be_bytes(buf[..8].try_into().expect("8 bytes"));
                let at = u64::from_be_bytes(buf[8..16].try_into().expect("8 bytes"));
                let rtt = (start.elapsed().as_nanos() as u64).saturating_sub(at);
                tally.received(seq, rtt);
            }
            Ok(_) => {}
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut => {}
            // The echo is not up yet, or a send bounced: count what comes back.
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {}
            Err(e) => return Err(HelperError::io("receiving echoes")(e)),
        }
    }
    let sent = sending.join().unwrap_or(0);
    for _ in 0..sent {
        tally.sent();
    }
    println!(
        "{}",
        serde_json::to_string(&tally.report()).expect("a report serialises")
    );
    Ok(())
}
