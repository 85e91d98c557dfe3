//! LAN discovery with mDNS (`mdns-sd`): the node announces `_weft._udp.local.` with its id and
//! ports in TXT records, and dials nodes it finds, but only those it already knows (access
//! rules or dial list). An address from discovery is a hint, never a credential: the dial still
//! pins the announced id, and the peer must prove its key.

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use mdns_sd::{ServiceDaemon, ServiceEvent, ServiceInfo};

use crate::identity::NodeId;
use crate::node::{NodeEvent, PeerAddr, Shared, Transport};

/// The mDNS service type.
pub const SERVICE: &str = "_weft._udp.local.";

/// Announce and browse on a background thread until the node stops.
pub(crate) fn spawn(
    shared: Arc<Shared>,
    endpoint: Option<quinn::Endpoint>,
    quic: Option<SocketAddr>,
    ws: Option<SocketAddr>,
) {
    let handle = tokio::runtime::Handle::current();
    std::thread::spawn(move || {
        if let Err(e) = run(&shared, &handle, endpoint, quic, ws) {
            tracing::warn!("mDNS discovery stopped: {e}");
        }
    });
}

fn run(
    shared: &Arc<Shared>,
    handle: &tokio::runtime::Handle,
    endpoint: Option<quinn::Endpoint>,
    quic: Option<SocketAddr>,
    ws: Option<SocketAddr>,
) -> Result<(), mdns_sd::Error> {
    let daemon = ServiceDaemon::new()?;
    let me = shared.identity.id();
    let mut props = vec![("id".to_string(), me.to_string())];
    if let Some(q) = quic {
        props.push(("quic".into(), q.port().to_string()));
    }
    if let Some(w) = ws {
        props.push(("ws".into(), w.port().to_string()));
    }
    let port = quic.or(ws).map_or(0, |a| a.port());
    let short = me.short().to_lowercase();
    let info = ServiceInfo::new(
        SERVICE,
        &format!("weft-{short}"),
        &format!("weft-{short}.local."),
        "",
        port,
        &props[..],
    )?
    .enable_addr_auto();
    daemon.register(info)?;
    let events = daemon.browse(SERVICE)?;
    let mut dialled: HashSet<NodeId> = HashSet::new();
    let stop = shared.stop.clone();
    while !*stop.borrow() {
        let Ok(event) = events.recv_timeout(Duration::from_millis(300)) else {
            continue;
        };
        let ServiceEvent::ServiceResolved(found) = event else {
            continue;
        };
        let Some(id) = found
            .txt_properties
            .get_property_val_str("id")
            .and_then(|s| s.parse::<NodeId>().ok())
        else {
            continue;
        };
        if id == me || dialled.contains(&id) {
            continue;
        }
        if !shared.is_known(&id) {
            tracing::debug!(peer = %id.short(), "mDNS: ignoring a node this node does not know");
            continue;
        }
        let prop_port = |k: &str| {
            found
                .txt_properties
                .get_property_val_str(k)
                .and_then(|p| p.parse::<u16>().ok())
        };
        let (transport, port) = match (endpoint.is_some(), prop_port("quic"), prop_port("ws")) {
            (true, Some(p), _) => (Transport::Quic, p),
            (_, _, Some(p)) => (Transport::WebSocket, p),
            (false, Some(p), None) => (Transport::Quic, p),
            _ => continue,
        };
        let mut addrs: Vec<IpAddr> = found.addresses.iter().map(|a| a.to_ip_addr()).collect();
        addrs.sort_by_key(|a| !a.is_ipv4());
        let Some(ip) = addrs.first() else { continue };
        let peer = PeerAddr {
            id,
            addr: SocketAddr::new(*ip, port),
            transport,
        };
        tracing::info!(peer = %id.short(), addr = %peer.addr, "mDNS: found a known node");
        dialled.insert(id);
        let _ = shared.events.send(NodeEvent::Discovered { peer });
        let _guard = handle.enter();
        crate::dial::spawn(shared.clone(), endpoint.clone(), peer);
    }
    let _ = daemon.shutdown();
    Ok(())
}
