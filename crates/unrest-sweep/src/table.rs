//! The result files: Parquet (read as is by pandas, polars, R arrow, DuckDB)
//! and CSV.
//!
//! `runs.parquet` has one row per run: `run`, `point`, `replicate`, `seed`,
//! the varied parameters, then the metrics. `series.parquet` has one row per
//! (run, step): `run` and the runner's series columns. Provenance (spec hash,
//! number of runs, the spec text) is in the file's key–value metadata under
//! `unrest.*`. Files are uncompressed: results are small, and this keeps the
//! codecs (and their build time) out of the binary.
//!
//! Every file is written to a temporary name beside its destination, synced,
//! then renamed, so a reader (or a resumed sweep) never sees half a file.

use crate::spec::RunId;
use crate::{Kind, Series, SeriesColumn, Value};
use arrow_array::{
    Array, ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray, UInt32Array, UInt64Array,
};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One finished run: its identity, its point's values (aligned with the
/// plan's parameters) and its metric values (aligned with the kept metrics).
#[derive(Debug, Clone, PartialEq)]
pub struct RunRow {
    pub id: RunId,
    pub params: Vec<Value>,
    pub metrics: Vec<Value>,
}

/// Key of the metadata entry prefix unrest writes.
pub const META_PREFIX: &str = "unrest.";

fn data_type(kind: Kind) -> DataType {
    match kind {
        Kind::F64 => DataType::Float64,
        Kind::I64 => DataType::Int64,
        Kind::Bool => DataType::Boolean,
        Kind::Str => DataType::Utf8,
    }
}

/// The schema of `runs.parquet` for these parameter and metric columns.
pub fn runs_schema(params: &[(String, Kind)], metrics: &[(String, Kind)]) -> SchemaRef {
    let mut fields = vec![
        Field::new("run", DataType::Int64, false),
        Field::new("point", DataType::Int64, false),
        Field::new("replicate", DataType::Int64, false),
        Field::new("seed", DataType::UInt64, false),
    ];
    fields.extend(params.iter().map(|(n, k)| Field::new(n, data_type(*k), false)));
    fields.extend(metrics.iter().map(|(n, k)| Field::new(n, data_type(*k), true)));
    Arc::new(Schema::new(fields))
}

fn value_array(kind: Kind, values: impl Iterator<Item = Value>) -> Result<ArrayRef, String> {
    let vals: Vec<Value> = values.collect();
    let mismatch = |v: &Value| format!("value {v:?} is not of the column's type {kind:?}");
    Ok(match kind {
        Kind::F64 => Arc::new(
            vals.iter()
                .map(|v| match v {
                    Value::Null => Ok(None),
                    Value::F64(x) => Ok(Some(*x)),
                    Value::I64(n) => Ok(Some(*n as f64)),
                    _ => Err(mismatch(v)),
                })
                .collect::<Result<Float64Array, String>>()?,
        ),
        Kind::I64 => Arc::new(
            vals.iter()
                .map(|v| match v {
                    Value::Null => Ok(None),
                    Value::I64(n) => Ok(Some(*n)),
                    _ => Err(mismatch(v)),
                })
                .collect::<Result<Int64Array, String>>()?,
        ),
        Kind::Bool => Arc::new(
            vals.iter()
                .map(|v| match v {
                    Value::Null => Ok(None),
                    Value::Bool(b) => Ok(Some(*b)),
                    _ => Err(mismatch(v)),
                })
                .collect::<Result<BooleanArray, String>>()?,
        ),
        Kind::Str => Arc::new(
            vals.iter()
                .map(|v| match v {
                    Value::Null => Ok(None),
                    Value::Str(s) => Ok(Some(s.clone())),
                    _ => Err(mismatch(v)),
                })
                .collect::<Result<StringArray, String>>()?,
        ),
    })
}

/// A named column of values of one kind (for tables other than `runs`).
pub fn value_column(
    name: &str,
    kind: Kind,
    nullable: bool,
    values: impl Iterator<Item = Value>,
) -> Result<(Field, ArrayRef), String> {
    let array = value_array(kind, values).map_err(|e| format!("column `{name}`: {e}"))?;
    Ok((Field::new(name, data_type(kind), nullable), array))
}

/// The rows as a record batch of `schema` (from [`runs_schema`]).
pub fn runs_batch(schema: &SchemaRef, rows: &[RunRow]) -> Result<RecordBatch, String> {
    let mut cols: Vec<ArrayRef> = vec![
        Arc::new(rows.iter().map(|r| r.id.index as i64).collect::<Int64Array>()),
        Arc::new(rows.iter().map(|r| r.id.point as i64).collect::<Int64Array>()),
        Arc::new(rows.iter().map(|r| i64::from(r.id.replicate)).collect::<Int64Array>()),
        Arc::new(rows.iter().map(|r| r.id.seed).collect::<UInt64Array>()),
    ];
    let fields = schema.fields();
    let n_params = rows.first().map_or(0, |r| r.params.len());
    for (c, field) in fields.iter().enumerate().skip(4) {
        let kind = kind_of(field.data_type()).ok_or("unsupported column type")?;
        let values = rows.iter().map(|r| {
            if c - 4 < n_params {
                r.params[c - 4].clone()
            } else {
                r.metrics.get(c - 4 - n_params).cloned().unwrap_or(Value::Null)
            }
        });
        cols.push(value_array(kind, values).map_err(|e| format!("column `{}`: {e}", field.name()))?);
    }
    RecordBatch::try_new(schema.clone(), cols).map_err(|e| e.to_string())
}

/// The series of several runs as one batch: `run`, then the series columns.
/// All series must have the same columns.
pub fn series_batch(series: &[(u64, &Series)]) -> Result<RecordBatch, String> {
    let Some((_, first)) = series.first() else {
        return Err("no series".into());
    };
    let mut fields = vec![Field::new("run", DataType::Int64, false)];
    for (name, col) in &first.columns {
        let t = match col {
            SeriesColumn::I64(_) => DataType::Int64,
            SeriesColumn::F64(_) => DataType::Float64,
        };
        fields.push(Field::new(name, t, false));
    }
    let mut runs = Vec::new();
    let mut ints: Vec<Vec<i64>> = vec![Vec::new(); first.columns.len()];
    let mut floats: Vec<Vec<f64>> = vec![Vec::new(); first.columns.len()];
    for (run, s) in series {
        if s.columns.len() != first.columns.len() {
            return Err(format!("run {run}: its series has different columns from the others"));
        }
        let len = s.columns.first().map_or(0, |(_, c)| c.len());
        runs.extend(std::iter::repeat_n(*run as i64, len));
        for (i, ((name, col), (name0, col0))) in s.columns.iter().zip(&first.columns).enumerate() {
            if name != name0 || col.len() != len {
                return Err(format!("run {run}: series column `{name}` differs in name or length"));
            }
            match (col, col0) {
                (SeriesColumn::I64(v), SeriesColumn::I64(_)) => ints[i].extend_from_slice(v),
                (SeriesColumn::F64(v), SeriesColumn::F64(_)) => floats[i].extend_from_slice(v),
                _ => return Err(format!("run {run}: series column `{name}` changes type")),
            }
        }
    }
    let mut cols: Vec<ArrayRef> = vec![Arc::new(Int64Array::from(runs))];
    for (i, (_, col0)) in first.columns.iter().enumerate() {
        cols.push(match col0 {
            SeriesColumn::I64(_) => Arc::new(Int64Array::from(std::mem::take(&mut ints[i]))),
            SeriesColumn::F64(_) => Arc::new(Float64Array::from(std::mem::take(&mut floats[i]))),
        });
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), cols).map_err(|e| e.to_string())
}

/// Writes `batch` to `path` atomically, with `meta` as key–value metadata.
pub fn write_parquet(path: &Path, batch: &RecordBatch, meta: &[(String, String)]) -> Result<(), String> {
    let props = WriterProperties::builder()
        .set_key_value_metadata(Some(
            meta.iter().map(|(k, v)| KeyValue::new(k.clone(), v.clone())).collect(),
        ))
        .build();
    let mut bytes = Vec::new();
    {
        // The schema without metadata: what a file holds must not depend on
        // where its batches were read from.
        // The metadata goes into the Arrow schema as well, which is where
        // pyarrow, pandas and polars look for it.
        let schema = Arc::new(Schema::new_with_metadata(
            batch.schema().fields().clone(),
            meta.iter()
                .cloned()
                .collect::<std::collections::HashMap<String, String>>(),
        ));
        let batch = RecordBatch::try_new(schema.clone(), batch.columns().to_vec()).map_err(|e| e.to_string())?;
        let mut w = ArrowWriter::try_new(&mut bytes, schema, Some(props)).map_err(|e| e.to_string())?;
        w.write(&batch).map_err(|e| e.to_string())?;
        w.close().map_err(|e| e.to_string())?;
    }
    write_atomic(path, &bytes)
}

/// Writes `bytes` to a temporary file beside `path`, syncs it, renames it
/// into place and syncs the directory.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("out");
    let tmp: PathBuf = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("cannot write {}: {e}", path.display())
    })
}

/// A Parquet file read whole: one batch and its `unrest.*` metadata.
pub struct ParquetFile {
    pub batch: RecordBatch,
    pub meta: Vec<(String, String)>,
}

impl ParquetFile {
    pub fn meta(&self, key: &str) -> Option<&str> {
        self.meta.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

/// Reads a whole Parquet file (written by us or by anyone else).
pub fn read_parquet(path: &Path) -> Result<ParquetFile, String> {
    let ctx = |e: &dyn std::fmt::Display| format!("cannot read {}: {e}", path.display());
    let file = std::fs::File::open(path).map_err(|e| ctx(&e))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| ctx(&e))?;
    let meta = builder
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .map(|kvs| {
            kvs.iter()
                .filter(|kv| kv.key.starts_with(META_PREFIX))
                .map(|kv| (kv.key.clone(), kv.value.clone().unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default();
    let schema = Arc::new(Schema::new(builder.schema().fields().clone()));
    let reader = builder.build().map_err(|e| ctx(&e))?;
    let mut batches = Vec::new();
    for b in reader {
        let b = b.map_err(|e| ctx(&e))?;
        batches.push(RecordBatch::try_new(schema.clone(), b.columns().to_vec()).map_err(|e| ctx(&e))?);
    }
    let batch = arrow_select::concat::concat_batches(&schema, &batches).map_err(|e| ctx(&e))?;
    Ok(ParquetFile { batch, meta })
}

/// Concatenates batches of one schema and orders the rows by `run` (stable:
/// a run's series steps keep their order). With `dedupe`, only the first row
/// of each run is kept (a run journalled twice).
pub fn concat_by_run(schema: &SchemaRef, batches: &[RecordBatch], dedupe: bool) -> Result<RecordBatch, String> {
    for b in batches {
        if b.schema().fields() != schema.fields() {
            return Err(format!(
                "files have different columns: [{}] vs [{}]",
                names(schema),
                names(&b.schema())
            ));
        }
    }
    let all = arrow_select::concat::concat_batches(schema, batches).map_err(|e| e.to_string())?;
    let runs = run_column(&all)?;
    let mut order: Vec<u32> = (0..all.num_rows() as u32).collect();
    order.sort_by_key(|&i| runs.value(i as usize));
    if dedupe {
        order.dedup_by_key(|i| runs.value(*i as usize));
    }
    arrow_select::take::take_record_batch(&all, &UInt32Array::from(order)).map_err(|e| e.to_string())
}

fn names(schema: &SchemaRef) -> String {
    schema
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The `run` column of a runs or series batch.
pub fn run_column(batch: &RecordBatch) -> Result<&Int64Array, String> {
    batch
        .column_by_name("run")
        .and_then(|c| c.as_any().downcast_ref::<Int64Array>())
        .ok_or_else(|| "no integer `run` column: not an unrest sweep file".to_string())
}

fn kind_of(t: &DataType) -> Option<Kind> {
    match t {
        DataType::Float64 => Some(Kind::F64),
        DataType::Int64 => Some(Kind::I64),
        DataType::Boolean => Some(Kind::Bool),
        DataType::Utf8 => Some(Kind::Str),
        _ => None,
    }
}

/// A column's values as [`Value`]s (numbers of other widths widened).
pub fn column_values(batch: &RecordBatch, name: &str) -> Result<Vec<Value>, String> {
    let col = batch
        .column_by_name(name)
        .ok_or_else(|| format!("no column `{name}`; the columns are: {}", names(&batch.schema())))?;
    let col = arrow_cast_free(col)?;
    Ok(col)
}

fn arrow_cast_free(col: &ArrayRef) -> Result<Vec<Value>, String> {
    let n = col.len();
    let any = col.as_any();
    let get = |i: usize| -> Option<Value> {
        if col.is_null(i) {
            return Some(Value::Null);
        }
        if let Some(a) = any.downcast_ref::<Float64Array>() {
            return Some(Value::F64(a.value(i)));
        }
        if let Some(a) = any.downcast_ref::<Int64Array>() {
            return Some(Value::I64(a.value(i)));
        }
        if let Some(a) = any.downcast_ref::<UInt64Array>() {
            return Some(Value::I64(a.value(i) as i64));
        }
        if let Some(a) = any.downcast_ref::<BooleanArray>() {
            return Some(Value::Bool(a.value(i)));
        }
        if let Some(a) = any.downcast_ref::<StringArray>() {
            return Some(Value::Str(a.value(i).to_string()));
        }
        if let Some(a) = any.downcast_ref::<arrow_array::Float32Array>() {
            return Some(Value::F64(f64::from(a.value(i))));
        }
        if let Some(a) = any.downcast_ref::<arrow_array::Int32Array>() {
            return Some(Value::I64(i64::from(a.value(i))));
        }
        if let Some(a) = any.downcast_ref::<arrow_array::LargeStringArray>() {
            return Some(Value::Str(a.value(i).to_string()));
        }
        None
    };
    (0..n)
        .map(|i| get(i).ok_or_else(|| format!("unsupported column type {}", col.data_type())))
        .collect()
}

/// The batch as CSV: a header, one line per row, RFC 4180 quoting, empty
/// fields for missing values, floats in shortest round-trip form.
pub fn to_csv(batch: &RecordBatch) -> Result<Vec<u8>, String> {
    let schema = batch.schema();
    let mut out = String::new();
    let quote = |s: &str| {
        if s.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    };
    out.push_str(
        &schema
            .fields()
            .iter()
            .map(|f| quote(f.name()))
            .collect::<Vec<_>>()
            .join(","),
    );
    out.push('\n');
    let cols: Vec<Vec<Value>> = batch.columns().iter().map(arrow_cast_free).collect::<Result<_, _>>()?;
    let unsigned: Vec<Option<&UInt64Array>> = batch
        .columns()
        .iter()
        .map(|c| c.as_any().downcast_ref::<UInt64Array>())
        .collect();
    for r in 0..batch.num_rows() {
        let line: Vec<String> = cols
            .iter()
            .zip(&unsigned)
            .map(|(c, u)| match (&c[r], u) {
                (Value::Null, _) => String::new(),
                (_, Some(u)) => u.value(r).to_string(),
                (Value::Str(s), _) => quote(s),
                (v, _) => v.to_string(),
            })
            .collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
    Ok(out.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(i: u64, m: Vec<Value>) -> RunRow {
        RunRow {
            id: RunId {
                index: i,
                point: i / 2,
                replicate: (i % 2) as u32,
                seed: u64::MAX - i,
            },
            params: vec![Value::F64(0.5 + i as f64 / 10.0)],
            metrics: m,
        }
    }

    #[test]
    fn parquet_round_trip_sorts_dedupes_and_keeps_metadata() {
        let schema = runs_schema(
            &[("legitimacy".into(), Kind::F64)],
            &[("peak".into(), Kind::I64), ("outcome".into(), Kind::Str)],
        );
        let a = runs_batch(&schema, &[row(3, vec![Value::I64(9), Value::Str("survived".into())])]).unwrap();
        let b = runs_batch(
            &schema,
            &[
                row(1, vec![Value::I64(4), Value::Null]),
                row(3, vec![Value::I64(0), Value::Str("x".into())]),
            ],
        )
        .unwrap();
        let merged = concat_by_run(&schema, &[a, b], true).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.parquet");
        write_parquet(&path, &merged, &[("unrest.k".into(), "v".into())]).unwrap();
        let back = read_parquet(&path).unwrap();
        assert_eq!(back.meta("unrest.k"), Some("v"));
        assert_eq!(
            column_values(&back.batch, "run").unwrap(),
            vec![Value::I64(1), Value::I64(3)]
        );
        assert_eq!(
            column_values(&back.batch, "outcome").unwrap(),
            vec![Value::Null, Value::Str("survived".into())]
        );
        assert_eq!(
            column_values(&back.batch, "seed").unwrap()[0],
            Value::I64((u64::MAX - 1) as i64)
        );
        let csv = String::from_utf8(to_csv(&back.batch).unwrap()).unwrap();
        assert_eq!(
            csv,
            format!(
                "run,point,replicate,seed,legitimacy,peak,outcome\n1,0,1,{},0.6,4,\n3,1,1,{},0.8,9,survived\n",
                u64::MAX - 1,
                u64::MAX - 3
            )
        );
        assert!(column_values(&back.batch, "nope")
            .unwrap_err()
            .contains("the columns are: run, point"));
    }
}
