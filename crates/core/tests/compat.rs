//! Files written by earlier versions of Weft keep loading.
//!
//! `data/v1-two-peers.weft` was saved by format version 1 (the first text-only release): two peers
//! editing one root concurrently, a second root, and a change with a message and a time. It must
//! load, continue editing, and sync with a fresh replica, whatever later versions add.

use weft_core::{Doc, DocOptions, PeerId, VersionVector};

const V1_TWO_PEERS: &[u8] = include_bytes!("data/v1-two-peers.weft");
const V1_TEXT: &str = "Goodbye brave new wörld 😀\n";

#[test]
fn a_format_1_document_loads_with_text_version_and_metadata() {
    let doc = Doc::load_with_options(V1_TWO_PEERS, PeerId(7), DocOptions::default()).unwrap();
    let body = doc.get_text("body").expect("root 'body'");
    assert_eq!(doc.text_to_string(body), V1_TEXT);
    let notes = doc.get_text("notes").expect("root 'notes'");
    assert_eq!(doc.text_to_string(notes), "second root");
    let version = doc.version();
    assert_eq!(version.get(PeerId(0xA11CE)), 37);
    assert_eq!(version.get(PeerId(0xB0B)), 10);
    let metas: Vec<_> = doc.change_metadata().collect();
    assert_eq!(metas.len(), 1);
    assert_eq!(metas[0].2, Some(1_700_000_000_000));
    assert_eq!(metas[0].3, Some("greeting"));
}

#[test]
fn a_format_1_document_can_be_edited_resaved_and_synced() {
    let mut doc = Doc::load_with_options(V1_TWO_PEERS, PeerId(7), DocOptions::default()).unwrap();
    let body = doc.text("body");
    doc.insert(body, 0, "» ").unwrap();
    let resaved = Doc::load_with_options(&doc.save(), PeerId(8), DocOptions::default()).unwrap();
    assert_eq!(
        resaved.text_to_string(resaved.get_text("body").unwrap()),
        format!("» {V1_TEXT}")
    );
    let mut fresh = Doc::with_peer(PeerId(9));
    fresh
        .import(&doc.export_since(&VersionVector::new()))
        .unwrap();
    assert_eq!(fresh.version(), doc.version());
    let body = fresh.text("body");
    assert_eq!(fresh.text_to_string(body), format!("» {V1_TEXT}"));
}
