//! A rule's options as a file writes them: their shape and schema.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{OptionName, RuleOptions, EXTRA_OPTIONS};

/// A rule's options as a file writes them (and the JSON plan shows them), in display order:
/// the schema of every option comes from [`OptionName`], the one list of them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OptionsSpec(pub Vec<(String, serde_json::Value)>);

impl Serialize for OptionsSpec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for OptionsSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = serde_json::Map::<String, serde_json::Value>::deserialize(d)?;
        Ok(OptionsSpec(map.into_iter().collect()))
    }
}

impl JsonSchema for OptionsSpec {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "RuleOptions".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let mut properties = serde_json::Map::new();
        for option in OptionName::ALL {
            properties.insert(option.as_str().to_string(), option.value_schema());
        }
        properties.insert(
            EXTRA_OPTIONS.to_string(),
            serde_json::json!({
                "description": "Options of the API that gatesctl does not model, sent as they are (gatesctl keeps those it finds remotely too, and `import` writes them here).",
                "type": "object",
            }),
        );
        schemars::json_schema!({"type": "object", "properties": properties})
    }
}

impl From<&RuleOptions> for OptionsSpec {
    fn from(options: &crate::model::RuleOptions) -> Self {
        OptionsSpec(options.to_file())
    }
}
