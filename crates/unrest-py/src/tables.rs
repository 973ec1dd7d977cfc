//! Columns built in Rust and handed to Python as one Arrow IPC stream
//! (`pyarrow.ipc.open_stream` reads it; no CSV in between).

use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray, TimestampSecondArray};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use std::sync::Arc;

/// One column's values.
pub enum Col {
    I64(Vec<i64>),
    F64(Vec<f64>),
    OptF64(Vec<Option<f64>>),
    Str(Vec<Option<String>>),
    /// Seconds since 1970-01-01 (naive, no time zone: the scenario's local calendar).
    Time(Vec<i64>),
}

/// A table as named columns, in order.
#[derive(Default)]
pub struct Table {
    cols: Vec<(String, Col)>,
}

impl Table {
    pub fn i64(&mut self, name: &str, v: impl IntoIterator<Item = i64>) -> &mut Self {
        self.push(name, Col::I64(v.into_iter().collect()))
    }

    pub fn u64(&mut self, name: &str, v: impl IntoIterator<Item = u64>) -> &mut Self {
        self.i64(name, v.into_iter().map(|x| x.min(i64::MAX as u64) as i64))
    }

    pub fn f64(&mut self, name: &str, v: impl IntoIterator<Item = f64>) -> &mut Self {
        self.push(name, Col::F64(v.into_iter().collect()))
    }

    pub fn str(&mut self, name: &str, v: impl IntoIterator<Item = String>) -> &mut Self {
        self.push(name, Col::Str(v.into_iter().map(Some).collect()))
    }

    pub fn time(&mut self, name: &str, v: impl IntoIterator<Item = i64>) -> &mut Self {
        self.push(name, Col::Time(v.into_iter().collect()))
    }

    pub fn push(&mut self, name: &str, col: Col) -> &mut Self {
        self.cols.push((name.to_string(), col));
        self
    }

    /// The table as a record batch.
    pub fn batch(self) -> Result<RecordBatch, String> {
        let mut fields = Vec::with_capacity(self.cols.len());
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(self.cols.len());
        for (name, col) in self.cols {
            let (dt, a): (DataType, ArrayRef) = match col {
                Col::I64(v) => (DataType::Int64, Arc::new(Int64Array::from(v))),
                Col::F64(v) => (DataType::Float64, Arc::new(Float64Array::from(v))),
                Col::OptF64(v) => (DataType::Float64, Arc::new(Float64Array::from(v))),
                Col::Str(v) => (DataType::Utf8, Arc::new(StringArray::from(v))),
                Col::Time(v) => (
                    DataType::Timestamp(TimeUnit::Second, None),
                    Arc::new(TimestampSecondArray::from(v)),
                ),
            };
            fields.push(Field::new(name, dt, true));
            arrays.push(a);
        }
        RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).map_err(|e| e.to_string())
    }

    /// The table as an Arrow IPC stream.
    pub fn ipc(self) -> Result<Vec<u8>, String> {
        ipc(&self.batch()?)
    }
}

/// A record batch as an Arrow IPC stream (schema, one batch, end).
pub fn ipc(batch: &RecordBatch) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    {
        let mut w = arrow_ipc::writer::StreamWriter::try_new(&mut out, &batch.schema()).map_err(|e| e.to_string())?;
        w.write(batch).map_err(|e| e.to_string())?;
        w.finish().map_err(|e| e.to_string())?;
    }
    Ok(out)
}
