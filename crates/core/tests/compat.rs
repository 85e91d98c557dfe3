//! Files written by earlier versions of Weft keep loading.
//!
//! `data/v1-two-peers.weft` was saved by format version 1 (the first text-only release): two peers
//! editing one root concurrently, a second root, and a change with a message and a time. It must
//! load, continue editing, and sync with a fresh replica, whatever later versions add.

use weft_core::{Doc, DocOptions, PeerId, Scalar, Value, VersionVector};

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

const V2_TWO_PEERS: &[u8] = include_bytes!("data/v2-two-peers.weft");
const V2_LONG: &[u8] = include_bytes!("data/v2-long-history.weft");
const V2_LONG_TEXT: &str = include_str!("data/v2-long-history.txt");

/// `data/v2-two-peers.weft` was saved by format version 2 (the last text-only format): two peers
/// editing "body" concurrently, a second root "notes", and a change with a message and a time.
#[test]
fn a_format_2_document_loads_with_text_version_and_metadata() {
    let doc = Doc::load_with_options(V2_TWO_PEERS, PeerId(7), DocOptions::default()).unwrap();
    let body = doc.get_text("body").expect("root 'body'");
    assert_eq!(doc.text_to_string(body), "Goodbye brave new wörld 😀\n");
    let notes = doc.get_text("notes").expect("root 'notes'");
    assert_eq!(doc.text_to_string(notes), "format two");
    let version = doc.version();
    assert_eq!(version.get(PeerId(0xA11CE)), 36);
    assert_eq!(version.get(PeerId(0xB0B)), 11);
    let metas: Vec<_> = doc.change_metadata().collect();
    assert_eq!(metas.len(), 1);
    assert_eq!(metas[0].2, Some(1_700_000_000_000));
    assert_eq!(metas[0].3, Some("greeting"));

    let mut fresh = Doc::with_peer(PeerId(9));
    fresh.import(V2_TWO_PEERS).unwrap();
    let body = fresh.get_text("body").unwrap();
    assert_eq!(fresh.text_to_string(body), "Goodbye brave new wörld 😀\n");
}

/// `data/v2-long-history.weft` (format 2) has more than 8192 runs, so it carries the state section
/// with the text; `v2-long-history.txt` is that text.
#[test]
fn a_format_2_document_with_a_state_section_loads_and_keeps_editing() {
    let mut doc = Doc::load_with_options(V2_LONG, PeerId(7), DocOptions::default()).unwrap();
    let t = doc.get_text("log").expect("root 'log'");
    assert_eq!(doc.text_to_string(t), V2_LONG_TEXT);
    assert_eq!(doc.version().get(PeerId(0xC)), 64 + 4150 * 2 + 4149);
    doc.insert(t, 0, "»").unwrap();
    let again = Doc::load_with_options(&doc.save(), PeerId(8), DocOptions::default()).unwrap();
    let t2 = again.get_text("log").unwrap();
    assert_eq!(again.text_to_string(t2), format!("»{V2_LONG_TEXT}"));
}

const V3_CONTAINERS: &[u8] = include_bytes!("data/v3-containers.weft");
const V3_JSON: &str = include_str!("data/v3-containers.json");

/// `data/v3-containers.weft` was saved by format version 3 (the first with containers, before
/// version 4's coded span containers and sequence-only positions): a text, a map with every
/// scalar kind, a deleted key, a nested list and text, a list with a nested map and deleted
/// elements, a counter, concurrent writes to one key by two peers, and a change with a message
/// and a time. `data/v3-containers.json` is its `to_json()`.
#[test]
fn a_format_3_document_with_containers_loads_edits_and_resaves() {
    let expected: serde_json::Value = serde_json::from_str(V3_JSON).unwrap();
    let mut doc = Doc::load_with_options(V3_CONTAINERS, PeerId(7), DocOptions::default()).unwrap();
    assert_eq!(doc.to_json(), expected);
    let version = doc.version();
    assert_eq!(version.get(PeerId(0xA11CE)), 52);
    assert_eq!(version.get(PeerId(0xB0B)), 4);
    let settings = doc.get_map("settings").unwrap();
    assert_eq!(
        doc.map_conflicts(settings, "theme"),
        vec![Value::Scalar(Scalar::from("light"))]
    );
    let metas: Vec<_> = doc.change_metadata().collect();
    assert_eq!(metas.len(), 1);
    assert_eq!(metas[0].2, Some(1_700_000_000_000));
    assert_eq!(metas[0].3, Some("bigger"));

    let clicks = doc.get_counter("clicks").unwrap();
    doc.counter_add(clicks, 1).unwrap();
    let resaved = doc.save();
    assert_eq!(resaved[4], 4, "written in the current version");
    let again = Doc::load_with_options(&resaved, PeerId(8), DocOptions::default()).unwrap();
    assert_eq!(again.to_json(), doc.to_json());

    let mut fresh = Doc::with_peer(PeerId(9));
    fresh.import(V3_CONTAINERS).unwrap();
    assert_eq!(fresh.to_json(), expected);
}
