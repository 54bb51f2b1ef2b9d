//! Store calls off the event loop: one napi `AsyncTask` (libuv thread pool) per call, with a `...Sync`
//! twin that runs the same work on the calling thread. No runtime and no handle outlive a call.

use crate::errors;
use crate::manager::Thefts;
use napi::bindgen_prelude::{AsyncTask, ToNapiValue, TypeName};
use napi::{Env, Task};
use std::sync::Arc;

/// What a call's result becomes in JavaScript, on the JavaScript thread once the call settles: most results
/// are napi values as they are; `VerifiedSession` builds its `AccessClaims` through the loader's factory.
pub trait Settle: Send + 'static {
    /// The JavaScript value.
    type Js: ToNapiValue + TypeName;
    /// Convert, given the environment.
    fn settle(self, env: &Env) -> napi::Result<Self::Js>;
}

impl<T: ToNapiValue + TypeName + Send + 'static> Settle for T {
    type Js = T;

    fn settle(self, _env: &Env) -> napi::Result<T> {
        Ok(self)
    }
}

type Work<T> = Box<dyn FnOnce() -> sessionward::Result<T> + Send>;

/// One blocking core call, with the manager's theft queue to drain when it settles (on the JS thread).
pub struct Op<T> {
    work: Option<Work<T>>,
    thefts: Arc<Thefts>,
}

impl<T: Settle> Op<T> {
    /// The call as a Promise.
    pub fn spawn(
        thefts: &Arc<Thefts>,
        work: impl FnOnce() -> sessionward::Result<T> + Send + 'static,
    ) -> AsyncTask<Self> {
        AsyncTask::new(Op { work: Some(Box::new(work)), thefts: thefts.clone() })
    }

    /// The call, now, on this thread.
    pub fn run(env: &Env, thefts: &Arc<Thefts>, work: impl FnOnce() -> sessionward::Result<T>) -> napi::Result<T::Js> {
        let result = work();
        thefts.deliver(env);
        result.map_err(|e| errors::core(env, e))?.settle(env)
    }
}

impl<T: Settle> Task for Op<T> {
    type Output = sessionward::Result<T>;
    type JsValue = T::Js;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        match self.work.take() {
            Some(work) => Ok(work()),
            None => Err(napi::Error::from_reason("sessionward: a task ran twice")),
        }
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<T::Js> {
        self.thefts.deliver(&env);
        output.map_err(|e| errors::core(&env, e))?.settle(&env)
    }
}
