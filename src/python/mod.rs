//! The Python bindings: the only place pyo3 appears.
//!
//! Thin by design: each method extracts owned Rust values while holding the
//! GIL, runs the core through [`run::run`] without it, and maps the result
//! back. The analyst API lives in the Python package.

mod errors;
mod run;

use crate::edits::Edit;
use crate::model::{Problem, ProblemModel, ProblemModelParams};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PySequence, PyString, PyTuple};

type Texts = Vec<Option<String>>;

/// Embeddings as passed from Python: little-endian float32 bytes, rows, columns.
type EmbeddingsArg<'py> = Option<(Bound<'py, PyBytes>, usize, usize)>;

/// The float32 values and shape of an embeddings argument. The values are
/// read in place from the bytes object when it is suitably aligned (on a
/// little-endian machine), and copied otherwise.
struct Dense<'py> {
    bytes: Bound<'py, PyBytes>,
    copied: Option<Vec<f32>>,
    rows: usize,
    dim: usize,
}

impl<'py> Dense<'py> {
    fn from_arg(arg: EmbeddingsArg<'py>) -> Option<Dense<'py>> {
        arg.map(|(bytes, rows, dim)| {
            let raw = bytes.as_bytes();
            let in_place = cfg!(target_endian = "little")
                && raw.len() % 4 == 0
                && (raw.as_ptr() as usize) % std::mem::align_of::<f32>() == 0;
            let copied = (!in_place)
                .then(|| raw.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect());
            Dense { bytes, copied, rows, dim }
        })
    }

    fn values(&self) -> &[f32] {
        match &self.copied {
            Some(v) => v,
            None => {
                let raw = self.bytes.as_bytes();
                // SAFETY: `from_arg` checked that the buffer is aligned for
                // f32 and a whole number of f32s, and that the machine is
                // little-endian (the bytes are little-endian float32); every
                // bit pattern is a valid f32. The bytes object is immutable
                // and `self.bytes` keeps it alive for the borrow.
                unsafe { std::slice::from_raw_parts(raw.as_ptr().cast::<f32>(), raw.len() / 4) }
            }
        }
    }

    fn view<'a>(d: &'a Option<Dense<'py>>) -> crate::error::Result<Option<crate::Embeddings<'a>>> {
        d.as_ref().map(|d| crate::Embeddings::new(d.values(), d.rows, d.dim)).transpose()
    }
}

/// A snapshot of a sequence of `str | None` (a tuple: the caller's list may
/// change while the GIL is released, the tuple and its strings cannot).
/// Anything else is a `TypeError`, raised before any text is encoded.
fn text_rows<'py>(texts: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyTuple>> {
    if texts.is_instance_of::<PyString>() {
        return Err(PyTypeError::new_err("texts must be a sequence of str or None, not a str"));
    }
    let rows = match texts.cast::<PyList>() {
        Ok(list) => list.to_tuple(),
        Err(_) => texts.cast::<PySequence>().map_err(PyErr::from)?.to_tuple()?,
    };
    for (row, item) in rows.iter_borrowed().enumerate() {
        if !item.is_none() && !item.is_instance_of::<PyString>() {
            let kind = item.get_type().name().map(|n| n.to_string()).unwrap_or_default();
            return Err(PyTypeError::new_err(format!("row {row} of texts is {kind}, not str or None")));
        }
    }
    Ok(rows)
}

/// The UTF-8 of every row of [`text_rows`], borrowed from the str objects
/// (no copy; the tuple keeps them alive). Strings that cannot be UTF-8
/// (lone surrogates) raise `UnicodeEncodeError`.
#[cfg(not(windows))]
fn borrow_texts<'a>(rows: &'a Bound<'_, PyTuple>) -> PyResult<Vec<Option<&'a str>>> {
    extern "C" {
        // In the stable ABI from Python 3.10 (callers check the version).
        fn PyUnicode_AsUTF8AndSize(
            unicode: *mut pyo3::ffi::PyObject,
            size: *mut pyo3::ffi::Py_ssize_t,
        ) -> *const std::os::raw::c_char;
    }
    let py = rows.py();
    let mut out = Vec::with_capacity(rows.len());
    for item in rows.iter_borrowed() {
        if item.is_none() {
            out.push(None);
            continue;
        }
        let mut size: pyo3::ffi::Py_ssize_t = 0;
        // SAFETY: `item` is a str (checked by `text_rows`); the UTF-8 buffer
        // belongs to the immutable str object, which the tuple keeps alive
        // for 'a.
        let text = unsafe {
            let data = PyUnicode_AsUTF8AndSize(item.as_ptr(), &mut size);
            if data.is_null() {
                return Err(PyErr::fetch(py));
            }
            let bytes = std::slice::from_raw_parts(data.cast::<u8>(), size as usize);
            std::str::from_utf8_unchecked(bytes)
        };
        out.push(Some(text));
    }
    Ok(out)
}

/// True if str objects can lend their UTF-8 to Rust (see [`borrow_texts`]).
#[cfg(not(windows))]
fn can_borrow_texts(py: Python<'_>) -> bool {
    py.version_info() >= (3, 10)
}

fn i64_bytes<'py>(py: Python<'py>, v: &[i64]) -> Bound<'py, PyBytes> {
    let mut b = Vec::with_capacity(v.len() * 8);
    for x in v {
        b.extend_from_slice(&x.to_le_bytes());
    }
    PyBytes::new(py, &b)
}

fn f32_bytes<'py>(py: Python<'py>, v: &[f32]) -> Bound<'py, PyBytes> {
    let mut b = Vec::with_capacity(v.len() * 4);
    for x in v {
        b.extend_from_slice(&x.to_le_bytes());
    }
    PyBytes::new(py, &b)
}

fn problem_dict<'py>(py: Python<'py>, p: &Problem) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("id", p.id)?;
    d.set_item("label", &p.label)?;
    let kws: Vec<(String, f32)> = p.keywords.iter().map(|k| (k.text.clone(), k.weight)).collect();
    d.set_item("keywords", kws)?;
    d.set_item("size", p.size)?;
    d.set_item("share", p.share)?;
    d.set_item("cohesion", p.cohesion)?;
    d.set_item("copies", p.copies)?;
    let ex: Vec<(usize, String, f32)> = p.examples.iter().map(|e| (e.row, e.text.clone(), e.similarity)).collect();
    d.set_item("examples", ex)?;
    Ok(d)
}

/// A fitted problem model (wrapped by `painpoints.ProblemModel`).
#[pyclass(name = "FittedModel", module = "painpoints._painpoints")]
pub struct PyFittedModel {
    inner: ProblemModel,
}

#[pymethods]
impl PyFittedModel {
    /// Problem id and similarity per text, as little-endian int64 and float32 bytes.
    #[pyo3(signature = (texts, n_jobs=None, progress=None, embeddings=None))]
    fn score<'py>(
        &self,
        py: Python<'py>,
        texts: &Bound<'py, PyAny>,
        n_jobs: Option<i64>,
        progress: Option<&Bound<'py, PyAny>>,
        embeddings: EmbeddingsArg<'py>,
    ) -> PyResult<(Bound<'py, PyBytes>, Bound<'py, PyBytes>)> {
        let model = &self.inner;
        let dense = Dense::from_arg(embeddings);
        let emb = Dense::view(&dense).map_err(|e| errors::to_py(py, e))?;
        let rows = text_rows(texts)?;
        #[cfg(not(windows))]
        if can_borrow_texts(py) {
            let texts = borrow_texts(&rows)?;
            let (ids, sims) = run::run(py, n_jobs, progress, |ctl| model.score_embedded(&texts, emb.as_ref(), ctl))?;
            return Ok((i64_bytes(py, &ids), f32_bytes(py, &sims)));
        }
        let texts: Texts = rows.extract()?;
        let (ids, sims) = run::run(py, n_jobs, progress, |ctl| model.score_embedded(&texts, emb.as_ref(), ctl))?;
        Ok((i64_bytes(py, &ids), f32_bytes(py, &sims)))
    }

    /// Apply an analyst edit (JSON, see `painpoints::Edit`); with texts, refresh
    /// statistics from them and return the new labels as int64 bytes.
    #[pyo3(signature = (edit_json, texts=None, n_jobs=None, progress=None, embeddings=None))]
    fn edit<'py>(
        &mut self,
        py: Python<'py>,
        edit_json: &str,
        texts: Option<Texts>,
        n_jobs: Option<i64>,
        progress: Option<&Bound<'py, PyAny>>,
        embeddings: EmbeddingsArg<'py>,
    ) -> PyResult<Option<Bound<'py, PyBytes>>> {
        let dense = Dense::from_arg(embeddings);
        let emb = Dense::view(&dense).map_err(|e| errors::to_py(py, e))?;
        let edit: Edit = serde_json::from_str(edit_json)
            .map_err(|e| errors::to_py(py, crate::error::Error::param(format!("invalid edit: {e}"))))?;
        match texts {
            Some(texts) => {
                let model = &mut self.inner;
                let labels =
                    run::run(py, n_jobs, progress, |ctl| model.edit_embedded(edit, &texts, emb.as_ref(), ctl))?;
                Ok(Some(i64_bytes(py, &labels)))
            }
            None => {
                // A rename keeps every count: there are no complaints to
                // count them on. (Other edits are only tried this way, on a
                // copy, to say what is wrong with them.)
                let done = match edit {
                    Edit::Rename { .. } => self.inner.rename_only(edit),
                    _ => {
                        let none: Vec<Option<String>> = Vec::new();
                        self.inner.edit(edit, &none, &crate::Control::new()).map(|_| ())
                    }
                };
                done.map_err(|e| errors::to_py(py, e))?;
                Ok(None)
            }
        }
    }

    /// Assign `texts` again and count every problem's statistics on them
    /// (ids, labels and edits kept); ids and similarities as int64 and
    /// float32 bytes.
    #[pyo3(signature = (texts, n_jobs=None, progress=None, embeddings=None))]
    fn refresh<'py>(
        &mut self,
        py: Python<'py>,
        texts: Texts,
        n_jobs: Option<i64>,
        progress: Option<&Bound<'py, PyAny>>,
        embeddings: EmbeddingsArg<'py>,
    ) -> PyResult<(Bound<'py, PyBytes>, Bound<'py, PyBytes>)> {
        let dense = Dense::from_arg(embeddings);
        let emb = Dense::view(&dense).map_err(|e| errors::to_py(py, e))?;
        let model = &mut self.inner;
        let (ids, sims) = run::run(py, n_jobs, progress, |ctl| model.refresh_embedded(&texts, emb.as_ref(), ctl))?;
        Ok((i64_bytes(py, &ids), f32_bytes(py, &sims)))
    }

    /// The recorded edits as JSON.
    fn edits_json(&self) -> PyResult<String> {
        serde_json::to_string(self.inner.edits()).map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))
    }

    /// How the problems relate to the previous model's: (kept, new, vanished).
    fn lineage(&self) -> (Vec<u32>, Vec<u32>, Vec<(u32, String)>) {
        let l = self.inner.lineage();
        (l.kept.clone(), l.new.clone(), l.vanished.clone())
    }

    /// The problems as a list of dicts, in rank order.
    fn problems<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let items: PyResult<Vec<_>> = self.inner.problems().iter().map(|p| problem_dict(py, p)).collect();
        PyList::new(py, items?)
    }

    /// Themes (groups of related problems) as a list of dicts, largest first.
    fn themes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let items: PyResult<Vec<_>> = self
            .inner
            .themes()
            .into_iter()
            .map(|t| {
                let d = PyDict::new(py);
                d.set_item("label", t.label)?;
                d.set_item("problem_ids", t.problem_ids)?;
                d.set_item("keywords", t.keywords)?;
                d.set_item("size", t.size)?;
                d.set_item("share", t.share)?;
                Ok(d)
            })
            .collect();
        PyList::new(py, items?)
    }

    /// The model file contents (JSON).
    fn to_json(&self, py: Python<'_>) -> PyResult<String> {
        self.inner.to_json().map_err(|e| errors::to_py(py, e))
    }

    /// Read a model file's contents.
    #[staticmethod]
    fn from_json(py: Python<'_>, json: &str) -> PyResult<PyFittedModel> {
        let inner = ProblemModel::from_json(json).map_err(|e| errors::to_py(py, e))?;
        Ok(PyFittedModel { inner })
    }

    /// Similarity below which a complaint fits no problem.
    #[getter]
    fn threshold(&self) -> f32 {
        self.inner.threshold()
    }

    #[setter]
    fn set_threshold(&mut self, py: Python<'_>, value: f32) -> PyResult<()> {
        self.inner.set_threshold(value).map_err(|e| errors::to_py(py, e))
    }

    /// Name of the text column the model was fitted on, if recorded.
    #[getter]
    fn text_column(&self) -> Option<String> {
        self.inner.text_column.clone()
    }

    #[setter]
    fn set_text_column(&mut self, value: Option<String>) {
        self.inner.text_column = value;
    }

    /// Rows the model was fitted on.
    #[getter]
    fn n_rows(&self) -> usize {
        self.inner.n_rows()
    }

    /// Of those, rows without a complaint (missing, blank or a non-answer such as "n/a"), left out of shares.
    #[getter]
    fn n_empty(&self) -> usize {
        self.inner.n_empty()
    }

    /// Library version that wrote the model.
    #[getter]
    fn library_version(&self) -> String {
        self.inner.library_version().to_string()
    }

    /// Columns of the embeddings the model was fitted with (None: no embeddings).
    #[getter]
    fn embedding_dim(&self) -> Option<usize> {
        self.inner.embedding_dim()
    }

    /// Number of terms in the vocabulary.
    #[getter]
    fn vocabulary_size(&self) -> usize {
        self.inner.vocabulary().len()
    }
}

/// Fit problems. Returns (model, labels bytes, similarity bytes).
#[pyfunction]
#[pyo3(signature = (texts, params_json, n_jobs=None, progress=None, previous=None, embeddings=None))]
fn fit<'py>(
    py: Python<'py>,
    texts: Texts,
    params_json: &str,
    n_jobs: Option<i64>,
    progress: Option<&Bound<'py, PyAny>>,
    previous: Option<PyRef<'py, PyFittedModel>>,
    embeddings: EmbeddingsArg<'py>,
) -> PyResult<(PyFittedModel, Bound<'py, PyBytes>, Bound<'py, PyBytes>)> {
    let dense = Dense::from_arg(embeddings);
    let emb = Dense::view(&dense).map_err(|e| errors::to_py(py, e))?;
    let params: ProblemModelParams = serde_json::from_str(params_json)
        .map_err(|e| errors::to_py(py, crate::error::Error::param(format!("invalid parameters: {e}"))))?;
    let prev = previous.as_ref().map(|p| &p.inner);
    let fit = run::run(py, n_jobs, progress, |ctl| params.fit_embedded(&texts, emb.as_ref(), prev, ctl))?;
    Ok((PyFittedModel { inner: fit.model }, i64_bytes(py, &fit.labels), f32_bytes(py, &fit.similarity)))
}

/// The normalised form of a text (for inspection).
#[pyfunction]
fn normalize(text: &str) -> String {
    crate::normalize::normalize(text)
}

/// A text as a reader sees it: HTML entities decoded and Windows-1252's
/// characters for C1 controls, as the normaliser reads it (for displaying
/// extracts of complaints).
#[pyfunction]
fn as_shown(text: &str) -> String {
    crate::normalize::as_shown(text).into_owned()
}

/// (key, surface) terms of a text as the pipeline sees them (for inspection).
#[pyfunction]
fn terms(text: &str) -> Vec<(String, String)> {
    crate::segment::Segmenter::english().terms(&crate::normalize::normalize(text))
}

/// Per text, whether it holds no complaint: missing, blank, or a non-answer
/// such as "n/a" or "no comment" (the rows a fit leaves out of its shares).
#[pyfunction]
fn says_nothing(py: Python<'_>, texts: Texts) -> Vec<bool> {
    py.detach(|| texts.iter().map(|t| crate::answers::row_says_nothing(t.as_deref())).collect())
}

/// Number of worker threads a call would use.
#[pyfunction]
#[pyo3(signature = (n_jobs=None))]
fn thread_count(n_jobs: Option<i64>) -> PyResult<usize> {
    run::thread_count(n_jobs)
}

#[pymodule]
fn _painpoints(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", crate::VERSION)?;
    m.add("SCHEMA_VERSION", crate::SCHEMA_VERSION)?;
    m.add_class::<PyFittedModel>()?;
    m.add_function(wrap_pyfunction!(fit, m)?)?;
    m.add_function(wrap_pyfunction!(normalize, m)?)?;
    m.add_function(wrap_pyfunction!(as_shown, m)?)?;
    m.add_function(wrap_pyfunction!(terms, m)?)?;
    m.add_function(wrap_pyfunction!(says_nothing, m)?)?;
    m.add_function(wrap_pyfunction!(thread_count, m)?)?;
    Ok(())
}
