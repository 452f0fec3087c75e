//! The helper proper: binds the node's queue, feeds every queued packet to the [`Scheduler`] and
//! gives each its verdict (accept) when it is due, sending a copy first for duplicates. The queue
//! is fail-open and the rule that feeds it has `--queue-bypass`, so a helper that is slow, stopped
//! or dead lets traffic through instead of blocking it.

use std::net::{Ipv4Addr, SocketAddrV4};
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use faultline_netq::{Release, Scheduler, Shaping, DUPLICATE_MARK, READY_LINE};
use nfq::{Message, Queue, Verdict};
use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use super::error::HelperError;

/// Packets the kernel may hold for us before fail-open lets more pass unshaped.
const QUEUE_MAX_LEN: u32 = 8192;
/// Bytes of each packet copied to us: whole packets (the kernel segments GSO packets to the MTU
/// before queueing, as the queue is not GSO-aware), so duplicates are complete.
const COPY_RANGE: u16 = 2048;
/// Longest sleep between checks for SIGTERM (a signal between the check and the sleep would
/// otherwise wait for the next packet).
const MAX_WAIT_NS: u64 = 200_000_000;

static TERM: AtomicBool = AtomicBool::new(false);

extern "C" fn on_term(_: libc::c_int) {
    TERM.store(true, Ordering::SeqCst);
}

/// Opens the netlink queue socket and finds its descriptor. `nfq::Queue` does not expose it,
/// and waiting with a timeout until the next packet is due needs poll(2) on it. socket(2) takes
/// the lowest free descriptor, so the one open(2) got just before (closed again) is the queue's;
/// checked below to be a netfilter netlink socket.
fn open_queue() -> Result<(Queue, RawFd), HelperError> {
    let probe = unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDONLY) };
    if probe < 0 {
        return Err(HelperError::io("opening /dev/null")(
            std::io::Error::last_os_error(),
        ));
    }
    unsafe { libc::close(probe) };
    let queue = Queue::open().map_err(HelperError::io("opening the netfilter queue socket"))?;
    let mut protocol: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    let got = unsafe {
        libc::getsockopt(
            probe,
            libc::SOL_SOCKET,
            libc::SO_PROTOCOL,
            (&mut protocol as *mut libc::c_int).cast(),
            &mut len,
        )
    };
    if got != 0 || protocol != libc::NETLINK_NETFILTER {
        return Err(HelperError::io("finding the queue socket's descriptor")(
            std::io::Error::other(format!("descriptor {probe} is not the netfilter socket")),
        ));
    }
    Ok((queue, probe))
}

/// `check`: whether NFQUEUE can be bound here.
pub fn check(queue_num: u16) -> Result<(), HelperError> {
    let (mut queue, _) = open_queue()?;
    queue.bind(queue_num).map_err(HelperError::io(
        "binding the queue (is nfnetlink_queue there, and NET_ADMIN?)",
    ))?;
    queue
        .unbind(queue_num)
        .map_err(HelperError::io("unbinding the queue"))?;
    println!("nfqueue ok");
    Ok(())
}

/// `serve`: shapes packets until SIGTERM.
pub fn serve(queue_num: u16, shaping: Shaping, seed: u64) -> Result<(), HelperError> {
    unsafe {
        libc::signal(libc::SIGTERM, on_term as *const () as libc::sighandler_t);
        libc::signal(libc::SIGINT, on_term as *const () as libc::sighandler_t);
    }
    let (mut queue, fd) = open_queue()?;
    // A bigger socket buffer: with the kernel's default a burst overflows it, and a queued
    // packet whose message was lost is never given a verdict.
    let size: libc::c_int = 8 << 20;
    unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_RCVBUFFORCE,
            (&size as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    queue
        .bind(queue_num)
        .map_err(HelperError::io("binding the queue"))?;
    queue
        .set_fail_open(queue_num, true)
        .map_err(HelperError::io("making the queue fail-open"))?;
    queue
        .set_copy_range(queue_num, COPY_RANGE)
        .map_err(HelperError::io("setting the copy range"))?;
    queue
        .set_queue_max_len(queue_num, QUEUE_MAX_LEN)
        .map_err(HelperError::io("setting the queue length"))?;
    queue.set_nonblocking(true);
    let raw = Socket::new(
        Domain::IPV4,
        Type::RAW,
        Some(Protocol::from(libc::IPPROTO_RAW)),
    )
    .map_err(HelperError::io("opening the raw socket for duplicates"))?;
    raw.set_mark(DUPLICATE_MARK)
        .map_err(HelperError::io("marking the raw socket"))?;
    eprintln!("{READY_LINE} queue {queue_num}");

    let start = Instant::now();
    let now = || start.elapsed().as_nanos() as u64;
    let mut sched: Scheduler<Message> = Scheduler::new(shaping, seed);
    let mut span: Option<(u64, u64)> = None;
    let mut copies_failed = 0u64;
    while !TERM.load(Ordering::SeqCst) {
        let wait = sched
            .next_due()
            .map_or(MAX_WAIT_NS, |due| due.saturating_sub(now()))
            .min(MAX_WAIT_NS);
        let ts = libc::timespec {
            tv_sec: (wait / 1_000_000_000) as libc::time_t,
            tv_nsec: (wait % 1_000_000_000) as libc::c_long,
        };
        let mut pfd = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        unsafe { libc::ppoll(&mut pfd, 1, &ts, std::ptr::null()) };
        loop {
            match queue.recv() {
                Ok(msg) => {
                    let t = now();
                    span = Some(span.map_or((t, t), |(first, _)| (first, t)));
                    sched.arrive(t, msg);
                }
                Err(e)
                    if e.kind() == std::io::ErrorKind::WouldBlock
                        || e.kind() == std::io::ErrorKind::Interrupted =>
                {
                    break
                }
                Err(e) => return Err(HelperError::io("reading the queue")(e)),
            }
        }
        for r in sched.release(now()) {
            copies_failed += emit(&mut queue, &raw, r)?;
        }
        if let (Some((first, _)), false) = (span, sched.is_empty()) {
            span = Some((first, now()));
        }
    }
    // Healing: nothing is held back any longer.
    for r in sched.drain() {
        copies_failed += emit(&mut queue, &raw, r)?;
    }
    let _ = queue.unbind(queue_num);
    let stats = sched.stats();
    let seconds = span.map_or(0.0, |(a, b)| (b - a) as f64 / 1e9);
    eprintln!(
        "faultline-netq: stats {}",
        serde_json::json!({
            "packets": stats.packets,
            "duplicated": stats.duplicated,
            "reordered": stats.reordered,
            "copies_failed": copies_failed,
            "seconds": seconds,
        })
    );
    Ok(())
}

/// Accepts one due packet, after sending its copy when it is a duplicate. Returns 1 when the
/// copy could not be sent (counted, not fatal: the original still goes).
fn emit(queue: &mut Queue, raw: &Socket, r: Release<Message>) -> Result<u64, HelperError> {
    let mut msg = r.packet;
    let mut failed = 0;
    if r.duplicate {
        failed = u64::from(send_copy(raw, &msg).is_err());
    }
    msg.set_verdict(Verdict::Accept);
    queue
        .verdict(msg)
        .map_err(HelperError::io("giving a verdict"))?;
    Ok(failed)
}

/// Sends the whole IPv4 packet again through the raw socket; its mark skips the queue rule.
fn send_copy(raw: &Socket, msg: &Message) -> std::io::Result<()> {
    let p = msg.get_payload();
    if p.len() < 20 || p[0] >> 4 != 4 || p.len() < msg.get_original_len() {
        return Err(std::io::Error::other("not a whole IPv4 packet"));
    }
    let dst = Ipv4Addr::new(p[16], p[17], p[18], p[19]);
    raw.send_to(p, &SockAddr::from(SocketAddrV4::new(dst, 0)))
        .map(|_| ())
}
