//! Arguments the JavaScript wrapper writes as strings: peer ids in hexadecimal, version vectors
//! and frontiers as `peer:n,...` lists, and container kinds as small codes.

use weft_core::{ContainerKind, Frontier, OpId, PeerId, VersionVector};

use crate::error::BindingError;

/// The kind with the bindings' code (0 text, 1 map, 2 list, 3 counter).
pub fn kind_from_code(code: u32) -> Option<ContainerKind> {
    Some(match code {
        0 => ContainerKind::Text,
        1 => ContainerKind::Map,
        2 => ContainerKind::List,
        3 => ContainerKind::Counter,
        _ => return None,
    })
}

/// Parses a peer id written as hexadecimal (the form `PeerId` displays as).
pub fn parse_peer(hex: &str) -> Result<PeerId, BindingError> {
    if hex.is_empty() || hex.len() > 16 {
        return Err(BindingError::Argument(format!(
            "peer id \"{hex}\" is not 1 to 16 hexadecimal digits"
        )));
    }
    u64::from_str_radix(hex, 16)
        .map(PeerId)
        .map_err(|_| BindingError::Argument(format!("peer id \"{hex}\" is not hexadecimal")))
}

/// Parses a version vector written as `peerhex:count,peerhex:count` (empty: the empty vector).
pub fn parse_version(s: &str) -> Result<VersionVector, BindingError> {
    let mut v = VersionVector::new();
    for entry in s.split(',').filter(|e| !e.is_empty()) {
        let (peer, count) = entry.split_once(':').ok_or_else(|| {
            BindingError::Argument(format!("version entry \"{entry}\" is not peer:count"))
        })?;
        let count = count.parse::<u64>().map_err(|_| {
            BindingError::Argument(format!("version entry \"{entry}\" has a bad count"))
        })?;
        v.set(parse_peer(peer)?, count);
    }
    Ok(v)
}

/// Parses a version written as its heads, `peerhex:seq,peerhex:seq` (empty: the empty version).
pub fn parse_frontier(s: &str) -> Result<Frontier, BindingError> {
    let mut ids = Vec::new();
    for entry in s.split(',').filter(|e| !e.is_empty()) {
        let (peer, seq) = entry.split_once(':').ok_or_else(|| {
            BindingError::Argument(format!("frontier entry \"{entry}\" is not peer:seq"))
        })?;
        let seq = seq.parse::<u64>().map_err(|_| {
            BindingError::Argument(format!("frontier entry \"{entry}\" has a bad seq"))
        })?;
        ids.push(OpId {
            peer: parse_peer(peer)?,
            seq,
        });
    }
    Ok(Frontier::from_ids(ids))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_ids_versions_and_kinds_are_errors() {
        assert!(parse_peer("xyz").is_err());
        assert!(parse_peer("").is_err());
        assert!(parse_peer("00000000000000001").is_err());
        assert_eq!(parse_peer("ab").unwrap(), PeerId(0xab));
        assert!(parse_version("01:x").is_err());
        assert!(parse_version("01").is_err());
        assert_eq!(parse_version("").unwrap(), VersionVector::new());
        assert!(parse_frontier("1:").is_err());
        assert_eq!(parse_frontier("1:2").unwrap().ids().len(), 1);
        assert_eq!(kind_from_code(2), Some(ContainerKind::List));
        assert_eq!(kind_from_code(4), None);
    }
}
