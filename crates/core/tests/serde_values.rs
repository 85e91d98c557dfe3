//! Typed values through serde (`serde` feature) and plain JSON writes.

use serde_json::json;
use weft_core::{Doc, PeerId};

#[test]
fn json_objects_and_arrays_become_maps_and_lists() {
    let mut doc = Doc::with_peer(PeerId(1));
    let m = doc.map("m");
    let v = json!({"a": [1, {"b": null}, "s"], "c": {"d": 2.5, "e": true}});
    doc.map_set_json(m, "doc", &v).unwrap();
    assert_eq!(doc.to_json(), json!({"m": {"doc": v}}));
    // Writing an object again updates the nested map in place: same container.
    let before = doc.map_get(m, "doc").unwrap();
    doc.map_set_json(m, "doc", &json!({"c": {"d": 3}})).unwrap();
    assert_eq!(doc.map_get(m, "doc").unwrap(), before);
    assert_eq!(doc.to_json(), json!({"m": {"doc": {"c": {"d": 3}}}}));
}

#[cfg(feature = "serde")]
mod typed {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Serialize};
    use weft_core::{Doc, PeerId, ValueError};

    #[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
    enum Theme {
        Dark,
        Custom { accent: String },
    }

    #[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
    struct Settings {
        theme: Theme,
        font_size: u32,
        ratio: f64,
        nickname: Option<String>,
        recent: Vec<String>,
        shortcuts: BTreeMap<String, Vec<u8>>,
    }

    fn sample() -> Settings {
        Settings {
            theme: Theme::Custom {
                accent: "#ff0".into(),
            },
            font_size: 14,
            ratio: 1.25,
            nickname: None,
            recent: vec!["a.txt".into(), "b.txt".into()],
            shortcuts: BTreeMap::from([("save".into(), vec![17, 83])]),
        }
    }

    #[test]
    fn a_struct_round_trips_and_survives_save_load() {
        let mut doc = Doc::with_peer(PeerId(1));
        doc.put_value("settings", &sample()).unwrap();
        assert_eq!(doc.get_value::<Settings>("settings").unwrap(), sample());
        let loaded = Doc::load_with_options(&doc.save(), PeerId(2), Default::default()).unwrap();
        assert_eq!(loaded.get_value::<Settings>("settings").unwrap(), sample());
    }

    #[test]
    fn concurrent_puts_of_different_fields_merge() {
        let mut alice = Doc::with_peer(PeerId(1));
        alice.put_value("settings", &sample()).unwrap();
        let mut bob = Doc::with_peer(PeerId(2));
        bob.import(&alice.save()).unwrap();

        let mut a = sample();
        a.font_size = 18;
        alice.put_value("settings", &a).unwrap();
        let mut b = sample();
        b.theme = Theme::Dark;
        bob.put_value("settings", &b).unwrap();

        alice.import(&bob.export_since(&alice.version())).unwrap();
        bob.import(&alice.export_since(&bob.version())).unwrap();
        let mut both = sample();
        both.font_size = 18;
        both.theme = Theme::Dark;
        assert_eq!(alice.get_value::<Settings>("settings").unwrap(), both);
        assert_eq!(bob.get_value::<Settings>("settings").unwrap(), both);
    }

    #[test]
    fn values_that_are_not_objects_and_missing_roots_are_errors() {
        let mut doc = Doc::with_peer(PeerId(1));
        assert!(matches!(
            doc.put_value("n", &5),
            Err(ValueError::Serialize(_))
        ));
        assert!(matches!(
            doc.get_value::<Settings>("nothing"),
            Err(ValueError::Missing(_))
        ));
        doc.put_value("settings", &sample()).unwrap();
        assert!(matches!(
            doc.get_value::<Vec<u8>>("settings"),
            Err(ValueError::Deserialize(_))
        ));
    }
}
