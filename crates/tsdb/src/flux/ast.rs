//! The syntax tree of the Flux subset the store understands.

/// A Flux duration literal: calendar months and nanoseconds kept apart (`1mo` is not 30d).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Duration {
    pub months: i64,
    pub nanos: i64,
}

impl std::ops::Neg for Duration {
    type Output = Duration;
    fn neg(self) -> Duration {
        Duration {
            months: -self.months,
            nanos: -self.nanos,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Ident(String),
    Str(String),
    /// A string with `${…}` parts: text pieces interleaved with expressions.
    Interpolated(Vec<StrPart>),
    Int(i64),
    Float(f64),
    Duration(Duration),
    /// An RFC 3339 time literal, in ns since the epoch.
    Time(i64),
    Regex(String),
    Array(Vec<Expr>),
    Record {
        with: Option<Box<Expr>>,
        fields: Vec<(String, Expr)>,
    },
    Member(Box<Expr>, String),
    Index(Box<Expr>, Box<Expr>),
    Call(Box<Expr>, Vec<(String, Expr)>),
    /// `lhs |> call(...)`: the call receives `lhs` as its piped argument.
    Pipe(Box<Expr>, Box<Expr>),
    Func(Vec<Param>, Box<Block>),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    Logical(LogicalOp, Box<Expr>, Box<Expr>),
    Conditional(Box<Expr>, Box<Expr>, Box<Expr>),
}

#[derive(Clone, Debug, PartialEq)]
pub enum StrPart {
    Text(String),
    Expr(Expr),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    pub name: String,
    pub default: Option<Expr>,
    /// `<-tables`: the parameter receives the piped value.
    pub piped: bool,
}

/// A function body: statements, then the returned expression.
#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    pub vars: Vec<(String, Expr)>,
    pub result: Expr,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum UnaryOp {
    Neg,
    Not,
    Exists,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    RegexMatch,
    RegexNotMatch,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LogicalOp {
    And,
    Or,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Statement {
    Import { path: String, alias: Option<String> },
    Option(String, Expr),
    Var(String, Expr),
    Expr(Expr),
}
