//! Variable scopes: a chain of frames, shared by the closures that capture them.
//!
//! A program of many statements makes a long chain, so the chain is walked and dropped in a
//! loop, never by recursion.

use super::Value;
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
        let mut scope = self;
        while let Some(frame) = &scope.0 {
            if let Some(v) = frame.vars.get(name) {
                return Some(v);
            }
            scope = &frame.parent;
        }
        None
    }

    /// A new scope with `vars` on top of this one.
    pub fn child(&self, vars: HashMap<String, Value>) -> Scope {
        Scope(Some(Arc::new(Frame {
            vars,
            parent: self.clone(),
        })))
    }
}

impl Drop for Frame {
    /// Unlinks the frames this one alone holds one by one, instead of recursively.
    fn drop(&mut self) {
        let mut next = self.parent.0.take();
        while let Some(frame) = next {
            next = match Arc::try_unwrap(frame) {
                Ok(mut frame) => frame.parent.0.take(),
                Err(_) => None,
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_chain_is_looked_up_and_dropped_without_recursion() {
        let mut scope = Scope::default().child(HashMap::from([("x".into(), Value::Int(1))]));
        for n in 0..200_000 {
            scope = scope.child(HashMap::from([(format!("v{n}"), Value::Int(n))]));
        }
        assert!(matches!(scope.lookup("x"), Some(Value::Int(1))));
        assert!(scope.lookup("missing").is_none());
        drop(scope);
    }

    #[test]
    fn a_shared_parent_outlives_a_dropped_child() {
        let parent = Scope::default().child(HashMap::from([("x".into(), Value::Int(1))]));
        let child = parent.child(HashMap::new());
        drop(child);
        assert!(matches!(parent.lookup("x"), Some(Value::Int(1))));
    }
}
