//! Store calls off the event loop: one napi `AsyncTask` (libuv thread pool) per call, with a `...Sync`
//! twin that runs the same work on the calling thread. No runtime and no handle outlive a call.

use crate::errors;
use crate::manager::Thefts;
use napi::bindgen_prelude::{AsyncTask, ToNapiValue, TypeName};
use napi::{Env, Task};
use std::sync::Arc;

type Work<T> = Box<dyn FnOnce() -> sessionward::Result<T> + Send>;

/// One blocking core call, with the manager's theft queue to drain when it settles (on the JS thread).
pub struct Op<T> {
    work: Option<Work<T>>,
    thefts: Arc<Thefts>,
}

impl<T: ToNapiValue + TypeName + Send + 'static> Op<T> {
    /// The call as a Promise.
    pub fn spawn(
        thefts: &Arc<Thefts>,
        work: impl FnOnce() -> sessionward::Result<T> + Send + 'static,
    ) -> AsyncTask<Self> {
        AsyncTask::new(Op { work: Some(Box::new(work)), thefts: thefts.clone() })
    }

    /// The call, now, on this thread.
    pub fn run(env: &Env, thefts: &Arc<Thefts>, work: impl FnOnce() -> sessionward::Result<T>) -> napi::Result<T> {
        let result = work();
        thefts.deliver(env);
        result.map_err(|e| errors::core(env, e))
    }
}

impl<T: ToNapiValue + TypeName + Send + 'static> Task for Op<T> {
    type Output = sessionward::Result<T>;
    type JsValue = T;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        match self.work.take() {
            Some(work) => Ok(work()),
            None => Err(napi::Error::from_reason("sessionward: a task ran twice")),
        }
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<T> {
        self.thefts.deliver(&env);
        output.map_err(|e| errors::core(&env, e))
    }
}
