//! Variable scopes: a chain of frames, shared by the closures that capture them.

use super::value::Value;
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Clone, Debug, Default)]
pub struct Scope(Option<Arc<Frame>>);

#[derive(Debug)]
struct Frame {
    vars: HashMap<String, Value>,
    parent: Scope,
}

impl Scope {
    pub fn lookup(&self, name: &str) -> Option<&Value> {
        let frame = self.0.as_ref()?;
        frame.vars.get(name).or_else(|| frame.parent.lookup(name))
    }

    /// A new scope with `vars` on top of this one.
    pub fn child(&self, vars: HashMap<String, Value>) -> Scope {
        Scope(Some(Arc::new(Frame {
            vars,
            parent: self.clone(),
        })))
    }
}
