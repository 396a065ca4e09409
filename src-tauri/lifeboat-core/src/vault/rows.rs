//! How the vault's rows are read and written: objects, versions, meta settings, and
//! times stored as fixed-width text.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use super::admin::SealedFor;
use super::objects::{Attributes, ObjectKind, VersionInfo};
use crate::error::Result;
use crate::sqlite::{named, optional_time_at, time_at};

pub(super) struct ObjectRow {
    pub kind: ObjectKind,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub managed: bool,
    pub deleted_at: Option<DateTime<Utc>>,
    pub purge_at: Option<DateTime<Utc>>,
}

pub(super) fn object_row(r: &rusqlite::Row) -> rusqlite::Result<ObjectRow> {
    Ok(ObjectRow { kind: named(r, 0)?, name: r.get(1)?, created_at: time_at(r, 2)?, managed: r.get(3)?, deleted_at: optional_time_at(r, 4)?, purge_at: optional_time_at(r, 5)? })
}

pub(super) const VERSION_COLUMNS: &str = "SELECT kind, name, version, created_at, updated_at, enabled, not_before, expires, content_type, tags, details FROM versions";

pub(super) fn version_row(r: &rusqlite::Row) -> rusqlite::Result<VersionInfo> {
    let tags: String = r.get(9)?;
    let details: String = r.get(10)?;
    Ok(VersionInfo {
        kind: named(r, 0)?,
        name: r.get(1)?,
        version: r.get(2)?,
        created_at: time_at(r, 3)?,
        updated_at: time_at(r, 4)?,
        attributes: Attributes { enabled: r.get(5)?, not_before: optional_time_at(r, 6)?, expires: optional_time_at(r, 7)?, content_type: r.get(8)?, tags: parse_json(9, &tags)? },
        details: parse_json(10, &details)?,
    })
}

pub(super) fn insert_version(tx: &Connection, info: &VersionInfo, seq: i64, public: Option<&[u8]>, (sealed, sealed_for): (&[u8], SealedFor)) -> Result<()> {
    let a = &info.attributes;
    tx.execute(
        "INSERT INTO versions (kind, name, version, seq, created_at, updated_at, enabled, not_before, expires, content_type, tags, public, details, sealed, sealed_for)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        params![
            info.kind.to_string(),
            info.name,
            info.version,
            seq,
            stamp(info.created_at),
            stamp(info.updated_at),
            a.enabled,
            a.not_before.map(stamp),
            a.expires.map(stamp),
            a.content_type,
            json(&a.tags),
            public,
            json(&info.details),
            sealed,
            crate::names::name_of(&sealed_for)
        ],
    )?;
    Ok(())
}

/// Times as fixed-width RFC 3339 text, so SQL compares them in time order.
pub(super) fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

pub(super) fn meta(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0)).optional()?)
}

pub(super) fn set_meta(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.execute("INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value", params![key, value])?;
    Ok(())
}

pub(super) fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("vault values serialize")
}

pub(super) fn parse_json<T: serde::de::DeserializeOwned>(i: usize, text: &str) -> rusqlite::Result<T> {
    serde_json::from_str(text).map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e)))
}
