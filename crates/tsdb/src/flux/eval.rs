//! Evaluates a parsed Flux program: expressions, closures, calls and the results it yields.

use super::args::{truthy, Args};
use super::ast::*;
use super::limits::{Budget, Limits};
use super::profiler::{Profiler, QueryTimings};
use super::runtime::Runtime;
use super::source::SeriesSource;
use super::value::scope::Scope;
use super::value::table::Table;
use super::value::{Function, Record, Stream, Value};
use super::{builtins, scan, FluxError, Sink};
use std::collections::HashMap;
use std::sync::Arc;

pub struct Interpreter<'a> {
    pub source: &'a dyn SeriesSource,
    /// The query's `now()`, ns.
    pub now: i64,
    /// Where yielded tables go, as they are made.
    sink: &'a mut Sink<'a>,
    /// The names yielded so far (a name may be yielded once).
    yielded: Vec<String>,
    /// The query's limits and what it has used of them.
    pub budget: Budget,
    /// What `option profiler.enabledProfilers` asked to be measured.
    pub profiler: Profiler,
    imports: HashMap<String, &'static str>,
    /// How deep evaluation is nested now.
    depth: usize,
    /// Evaluations since the clock was last read.
    ticks: u32,
}

/// The clock is read once per this many evaluations: often enough to stop a runaway query
/// within milliseconds, rarely enough to cost nothing.
const TICKS_PER_CLOCK_READ: u32 = 4096;

impl<'a> Interpreter<'a> {
    pub fn new(
        source: &'a dyn SeriesSource,
        now: i64,
        limits: Limits,
        sink: &'a mut Sink<'a>,
    ) -> Self {
        Interpreter {
            source,
            now,
            sink,
            yielded: Vec::new(),
            budget: Budget::new(limits),
            profiler: Profiler::default(),
            imports: HashMap::new(),
            depth: 0,
            ticks: 0,
        }
    }

    pub fn run(&mut self, program: &[Statement]) -> Result<(), FluxError> {
        let mut scope = Scope::default();
        for statement in program {
            match statement {
                Statement::Import { path, alias } => {
                    let package = builtins::package(path).ok_or_else(|| {
                        FluxError::Invalid(format!("unknown import path: \"{path}\""))
                    })?;
                    let name = alias
                        .clone()
                        .unwrap_or_else(|| path.rsplit('/').next().unwrap_or(path).to_string());
                    self.imports.insert(name, package);
                }
                Statement::Option(name, expr) => {
                    // `option now = () => …` fixes the query's clock; other options are accepted.
                    let value = self.eval(expr, &scope)?;
                    if name == "now" {
                        if let Value::Time(t) = self.call_value(&value, Vec::new(), None, "now")? {
                            self.now = t;
                        }
                    } else if name == "profiler.enabledProfilers" {
                        if !self.imports.values().any(|p| *p == "profiler") {
                            return Err(FluxError::Invalid(
                                "undefined identifier profiler: import \"profiler\" first".into(),
                            ));
                        }
                        self.profiler.enable(&value)?;
                    } else if !name.contains('.') {
                        scope = scope.child(HashMap::from([(name.clone(), value)]));
                    }
                }
                Statement::Var(name, expr) => {
                    let value = self.eval(expr, &scope)?;
                    scope = scope.child(HashMap::from([(name.clone(), value)]));
                }
                Statement::Expr(expr) => self.statement(expr, &scope)?,
            }
        }
        Ok(())
    }

    /// A statement's stream goes out as it is read: to the result its final `yield` names,
    /// or to `_result`.
    fn statement(&mut self, expr: &Expr, scope: &Scope) -> Result<(), FluxError> {
        let (stream, name) = match final_yield(expr) {
            Some((lhs, args)) => {
                let stream = self.eval(lhs, scope)?;
                let args = Args {
                    named: self.eval_args(args, scope)?,
                    piped: None,
                    function: "yield".into(),
                };
                (
                    stream,
                    args.string("name")?.unwrap_or_else(|| "_result".into()),
                )
            }
            None => (self.eval(expr, scope)?, "_result".into()),
        };
        match stream {
            Value::Tables(stream) => self.yield_stream(&name, (*stream).clone()),
            _ => Ok(()),
        }
    }

    fn yield_tables(&mut self, name: &str, tables: Vec<Table>) -> Result<(), FluxError> {
        self.begin_result(name)?;
        tables.into_iter().try_for_each(|t| self.send(name, t))
    }

    /// Yields a stream; a storage read is handed on a few series at a time, as it is read.
    fn yield_stream(&mut self, name: &str, stream: Stream) -> Result<(), FluxError> {
        match stream {
            Stream::Read(plan) => {
                self.begin_result(name)?;
                scan::read_tables(self, &plan, None, |it, t| it.send(name, t))
            }
            Stream::Windows(plan, function, w) => {
                self.begin_result(name)?;
                let windows = Some((function, w));
                scan::read_tables(self, &plan, windows, |it, t| it.send(name, t))
            }
            other => {
                let tables = scan::materialize(self, other)?;
                self.yield_tables(name, tables)
            }
        }
    }

    /// Hands the profiler's tables on, if it was asked for.
    pub fn yield_profile(&mut self, timings: &QueryTimings) -> Result<(), FluxError> {
        let tables = self.profiler.tables(timings);
        if tables.is_empty() {
            return Ok(());
        }
        self.yield_tables("_profiler", tables)
    }

    /// Evaluates `expr`, within the query's depth and time limits.
    pub fn eval(&mut self, expr: &Expr, scope: &Scope) -> Result<Value, FluxError> {
        if self.depth >= self.budget.max_depth() {
            return Err(self.budget.too_deep());
        }
        self.ticks += 1;
        if self.ticks == TICKS_PER_CLOCK_READ {
            self.ticks = 0;
            self.budget.check_time()?;
        }
        self.depth += 1;
        let value = self.eval_nested(expr, scope);
        self.depth -= 1;
        value
    }

    fn eval_nested(&mut self, expr: &Expr, scope: &Scope) -> Result<Value, FluxError> {
        Ok(match expr {
            Expr::Ident(name) => self.resolve(name, scope)?,
            Expr::Str(s) => Value::Str(s.clone()),
            Expr::Interpolated(parts) => {
                let mut out = String::new();
                for part in parts {
                    match part {
                        StrPart::Text(t) => out.push_str(t),
                        StrPart::Expr(e) => match self.eval(e, scope)? {
                            Value::Str(s) => {
                                self.budget.charge_bytes(s.len())?;
                                out.push_str(&s)
                            }
                            v => {
                                return Err(FluxError::Invalid(format!(
                                    "string interpolation requires a string, got {}",
                                    v.type_name()
                                )))
                            }
                        },
                    }
                }
                Value::Str(out)
            }
            Expr::Int(n) => Value::Int(*n),
            Expr::Float(f) => Value::Float(*f),
            Expr::Duration(d) => Value::Duration(*d),
            Expr::Time(t) => Value::Time(*t),
            Expr::Regex(re) => {
                Value::Regex(Arc::new(regex::Regex::new(re).map_err(|e| {
                    FluxError::Invalid(format!("invalid regular expression: {e}"))
                })?))
            }
            Expr::Array(items) => {
                let items: Vec<Value> = items
                    .iter()
                    .map(|e| self.eval(e, scope))
                    .collect::<Result<_, _>>()?;
                let array = Value::Array(items);
                self.budget.charge_bytes(array.deep_bytes())?;
                array
            }
            Expr::Record { with, fields } => {
                let mut record = match with {
                    Some(base) => match self.eval(base, scope)? {
                        Value::Record(r) => r,
                        v => {
                            return Err(FluxError::Invalid(format!(
                                "cannot extend a {}",
                                v.type_name()
                            )))
                        }
                    },
                    None => Record::default(),
                };
                // What is new is charged; the base is counted where it was built.
                for (name, e) in fields {
                    let value = self.eval(e, scope)?;
                    self.budget.charge_bytes(name.len() + value.deep_bytes())?;
                    record.set(name, value);
                }
                Value::Record(record)
            }
            Expr::Member(obj, name) => match self.eval(obj, scope)? {
                Value::Record(r) => r.get(name).cloned().unwrap_or(Value::Null),
                Value::Package(p) => builtins::package_member(p, name)
                    .map(|f| Value::Func(Arc::new(Function::Builtin(f))))
                    .ok_or_else(|| {
                        FluxError::Invalid(format!("{name} is not a member of package {p}"))
                    })?,
                Value::Null => Value::Null,
                v => {
                    return Err(FluxError::Invalid(format!(
                        "cannot access property \"{name}\" of a {}",
                        v.type_name()
                    )))
                }
            },
            Expr::Index(obj, index) => match (self.eval(obj, scope)?, self.eval(index, scope)?) {
                (Value::Array(items), Value::Int(i)) => usize::try_from(i)
                    .ok()
                    .and_then(|i| items.get(i).cloned())
                    .ok_or_else(|| FluxError::Invalid(format!("index out of bounds: {i}")))?,
                (Value::Record(r), Value::Str(k)) => r.get(&k).cloned().unwrap_or(Value::Null),
                (o, i) => {
                    return Err(FluxError::Invalid(format!(
                        "cannot index a {} with a {}",
                        o.type_name(),
                        i.type_name()
                    )))
                }
            },
            Expr::Call(callee, args) => {
                let f = self.eval(callee, scope)?;
                let args = self.eval_args(args, scope)?;
                self.call_value(&f, args, None, &callee_name(callee))?
            }
            Expr::Pipe(lhs, call) => {
                let piped = self.eval(lhs, scope)?;
                let Expr::Call(callee, args) = &**call else {
                    unreachable!("the parser only pipes into calls")
                };
                let f = self.eval(callee, scope)?;
                let args = self.eval_args(args, scope)?;
                self.call_value(&f, args, Some(piped), &callee_name(callee))?
            }
            Expr::Func(params, body) => Value::Func(Arc::new(Function::Closure {
                params: params.clone(),
                body: (**body).clone(),
                scope: scope.clone(),
            })),
            Expr::Unary(op, e) => {
                let v = self.eval(e, scope)?;
                match (op, v) {
                    (UnaryOp::Exists, v) => Value::Bool(!v.is_null()),
                    (UnaryOp::Not, Value::Null) => Value::Null,
                    (UnaryOp::Not, Value::Bool(b)) => Value::Bool(!b),
                    (UnaryOp::Neg, Value::Int(n)) => Value::Int(-n),
                    (UnaryOp::Neg, Value::Float(f)) => Value::Float(-f),
                    (UnaryOp::Neg, Value::Duration(d)) => Value::Duration(-d),
                    (UnaryOp::Neg, Value::Null) => Value::Null,
                    (op, v) => {
                        return Err(FluxError::Invalid(format!(
                            "invalid operand {} for {op:?}",
                            v.type_name()
                        )))
                    }
                }
            }
            Expr::Binary(op, a, b) => {
                let (a, b) = (self.eval(a, scope)?, self.eval(b, scope)?);
                // Joining strings builds one (comparing them builds nothing).
                if let (BinaryOp::Add, Value::Str(x), Value::Str(y)) = (op, &a, &b) {
                    self.budget.charge_bytes(x.len() + y.len())?;
                }
                super::ops::binary(*op, a, b)?
            }
            Expr::Logical(op, a, b) => {
                let lhs = truthy(&self.eval(a, scope)?);
                match op {
                    LogicalOp::And if !lhs => Value::Bool(false),
                    LogicalOp::Or if lhs => Value::Bool(true),
                    _ => Value::Bool(truthy(&self.eval(b, scope)?)),
                }
            }
            Expr::Conditional(cond, then, otherwise) => {
                if truthy(&self.eval(cond, scope)?) {
                    self.eval(then, scope)?
                } else {
                    self.eval(otherwise, scope)?
                }
            }
        })
    }

    fn resolve(&self, name: &str, scope: &Scope) -> Result<Value, FluxError> {
        if let Some(v) = scope.lookup(name) {
            return Ok(v.clone());
        }
        if let Some(p) = self.imports.get(name) {
            return Ok(Value::Package(p));
        }
        match name {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => builtins::universe(name)
                .map(|f| Value::Func(Arc::new(Function::Builtin(f))))
                .ok_or_else(|| FluxError::Invalid(format!("undefined identifier {name}"))),
        }
    }

    fn eval_args(
        &mut self,
        args: &[(String, Expr)],
        scope: &Scope,
    ) -> Result<Vec<(String, Value)>, FluxError> {
        args.iter()
            .map(|(k, e)| Ok((k.clone(), self.eval(e, scope)?)))
            .collect()
    }

    pub fn call_value(
        &mut self,
        f: &Value,
        named: Vec<(String, Value)>,
        piped: Option<Value>,
        name: &str,
    ) -> Result<Value, FluxError> {
        match f {
            Value::Func(f) => self.call(f, named, piped, name),
            v => Err(FluxError::Invalid(format!(
                "cannot call a {}",
                v.type_name()
            ))),
        }
    }
}

impl Runtime for Interpreter<'_> {
    fn now(&self) -> i64 {
        self.now
    }

    fn source(&self) -> &dyn SeriesSource {
        self.source
    }

    fn budget(&self) -> &Budget {
        &self.budget
    }

    fn call(
        &mut self,
        f: &Function,
        named: Vec<(String, Value)>,
        piped: Option<Value>,
        name: &str,
    ) -> Result<Value, FluxError> {
        match f {
            Function::Builtin(builtin) => {
                let args = Args {
                    named,
                    piped,
                    function: builtin.to_string(),
                };
                if !self.profiler.times_calls() {
                    return builtins::call(self, builtin, args);
                }
                let started = std::time::Instant::now();
                let value = builtins::call(self, builtin, args);
                self.profiler.record_call(builtin, started.elapsed());
                value
            }
            Function::Closure {
                params,
                body,
                scope,
            } => {
                let mut vars = HashMap::new();
                let mut named = named;
                for p in params {
                    let value = if p.piped {
                        piped.clone()
                    } else {
                        named
                            .iter()
                            .position(|(k, _)| *k == p.name)
                            .map(|i| named.swap_remove(i).1)
                    };
                    let value = match (value, &p.default) {
                        (Some(v), _) => v,
                        (None, Some(d)) => self.eval(d, scope)?,
                        (None, None) => {
                            return Err(FluxError::Invalid(format!(
                                "missing required argument \"{}\" in call to {name}",
                                p.name
                            )))
                        }
                    };
                    vars.insert(p.name.clone(), value);
                }
                if let Some((k, _)) = named.first() {
                    return Err(FluxError::Invalid(format!(
                        "unexpected argument \"{k}\" in call to {name}"
                    )));
                }
                let mut inner = scope.child(vars);
                for (var, e) in &body.vars {
                    let v = self.eval(e, &inner)?;
                    inner = inner.child(HashMap::from([(var.clone(), v)]));
                }
                self.eval(&body.result, &inner)
            }
        }
    }

    fn call_row(&mut self, f: &Function, record: Record) -> Result<Value, FluxError> {
        match f {
            Function::Closure {
                params,
                body,
                scope,
            } if params.len() == 1 && body.vars.is_empty() => {
                let inner = scope.child(HashMap::from([(
                    params[0].name.clone(),
                    Value::Record(record),
                )]));
                self.eval(&body.result, &inner)
            }
            f => {
                let name = match f {
                    Function::Closure { params, .. } => {
                        params.first().map_or("r".to_string(), |p| p.name.clone())
                    }
                    Function::Builtin(_) => "r".to_string(),
                };
                self.call(f, vec![(name, Value::Record(record))], None, "fn")
            }
        }
    }

    fn begin_result(&mut self, name: &str) -> Result<(), FluxError> {
        if self.yielded.iter().any(|n| n == name) {
            return Err(FluxError::Invalid(format!(
                "duplicate yield name \"{name}\""
            )));
        }
        self.yielded.push(name.to_string());
        Ok(())
    }

    fn send(&mut self, name: &str, table: Table) -> Result<(), FluxError> {
        (self.sink)(name, table)
    }
}

fn callee_name(e: &Expr) -> String {
    match e {
        Expr::Ident(n) => n.clone(),
        Expr::Member(o, n) => format!("{}.{n}", callee_name(o)),
        _ => "function".into(),
    }
}

/// `stream |> yield(…)`: the stream and the arguments of the yield that ends a statement.
fn final_yield(e: &Expr) -> Option<(&Expr, &[(String, Expr)])> {
    let Expr::Pipe(lhs, call) = e else {
        return None;
    };
    match &**call {
        Expr::Call(f, args) if matches!(&**f, Expr::Ident(n) if n == "yield") => Some((lhs, args)),
        _ => None,
    }
}
