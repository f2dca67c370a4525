//! A recursive-descent parser for the Flux subset; errors carry `line:col`.
//!
//! Every expression it builds is at most `max_depth` deep, and it recurses at most that deep
//! itself: a hostile query (thousands of nested parentheses, a 60,000-term `or`) gets an
//! error instead of overflowing the stack here, in the evaluator or when its tree is dropped.

use super::ast::*;
use super::lexer::{tokenize, RawStrPart, Spanned, Token};
use super::FluxError;

/// Parses a program whose expressions nest at most `max_depth` deep.
pub fn parse(src: &str, max_depth: usize) -> Result<Vec<Statement>, FluxError> {
    let mut parser = Parser::new(src, max_depth)?;
    let mut statements = Vec::new();
    while parser.peek() != &Token::Eof {
        statements.push(parser.statement()?);
    }
    Ok(statements)
}

/// An expression with the depth of its tree.
struct Node {
    expr: Expr,
    depth: usize,
}

impl Node {
    fn leaf(expr: Expr) -> Node {
        Node { expr, depth: 1 }
    }
    fn boxed(self) -> Box<Expr> {
        Box::new(self.expr)
    }
}

struct Parser {
    tokens: Vec<Spanned>,
    pos: usize,
    max_depth: usize,
    /// How deep the parser has recursed into nested expressions.
    nesting: usize,
}

impl Parser {
    fn new(src: &str, max_depth: usize) -> Result<Parser, FluxError> {
        Ok(Parser {
            tokens: tokenize(src)?,
            pos: 0,
            max_depth,
            nesting: 0,
        })
    }
    fn peek(&self) -> &Token {
        &self.tokens[self.pos].token
    }
    fn peek_at(&self, n: usize) -> &Token {
        &self.tokens[(self.pos + n).min(self.tokens.len() - 1)].token
    }
    fn next(&mut self) -> Token {
        let t = self.tokens[self.pos].token.clone();
        if self.pos < self.tokens.len() - 1 {
            self.pos += 1;
        }
        t
    }
    fn error(&self, msg: impl std::fmt::Display) -> FluxError {
        let t = &self.tokens[self.pos];
        FluxError::Invalid(format!(
            "compilation failed: error @{}:{}: {msg}",
            t.line, t.col
        ))
    }
    fn too_deep(&self) -> FluxError {
        self.error(format!(
            "expression nested deeper than the limit of {}",
            self.max_depth
        ))
    }
    /// A node over children of the given depths, refused past the depth limit.
    fn node(&self, expr: Expr, children: &[usize]) -> Result<Node, FluxError> {
        let depth = 1 + children.iter().copied().max().unwrap_or(0);
        if depth > self.max_depth {
            return Err(self.too_deep());
        }
        Ok(Node { expr, depth })
    }
    fn eat(&mut self, sym: &str) -> bool {
        if matches!(self.peek(), Token::Sym(s) if *s == sym) {
            self.next();
            true
        } else {
            false
        }
    }
    fn expect(&mut self, sym: &str) -> Result<(), FluxError> {
        if self.eat(sym) {
            Ok(())
        } else {
            Err(self.error(format!("expected {sym}, got {}", describe(self.peek()))))
        }
    }
    fn expect_eof(&self) -> Result<(), FluxError> {
        match self.peek() {
            Token::Eof => Ok(()),
            t => Err(self.error(format!("unexpected {}", describe(t)))),
        }
    }
    fn is_keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Token::Ident(w) if w == word)
    }
    fn ident(&mut self) -> Result<String, FluxError> {
        match self.next() {
            Token::Ident(name) => Ok(name),
            t => {
                self.pos -= 1;
                Err(self.error(format!("expected identifier, got {}", describe(&t))))
            }
        }
    }

    fn statement(&mut self) -> Result<Statement, FluxError> {
        if self.is_keyword("import") {
            self.next();
            let alias = match self.peek() {
                Token::Ident(_) => Some(self.ident()?),
                _ => None,
            };
            return match self.next() {
                Token::Str(parts) => Ok(Statement::Import {
                    path: plain_string(parts),
                    alias,
                }),
                _ => Err(self.error("expected import path string")),
            };
        }
        if self.is_keyword("option") {
            self.next();
            let mut name = self.ident()?;
            while self.eat(".") {
                name = format!("{name}.{}", self.ident()?);
            }
            self.expect("=")?;
            return Ok(Statement::Option(name, self.expr()?.expr));
        }
        if matches!(self.peek(), Token::Ident(_)) && self.peek_at(1) == &Token::Sym("=") {
            let name = self.ident()?;
            self.next();
            return Ok(Statement::Var(name, self.expr()?.expr));
        }
        Ok(Statement::Expr(self.expr()?.expr))
    }

    /// Every nested expression passes through here: the parser's own recursion is bounded.
    fn expr(&mut self) -> Result<Node, FluxError> {
        self.nested(Self::conditional)
    }
    fn conditional(&mut self) -> Result<Node, FluxError> {
        if self.is_keyword("if") {
            self.next();
            let cond = self.expr()?;
            self.keyword("then")?;
            let then = self.expr()?;
            self.keyword("else")?;
            let otherwise = self.expr()?;
            let depths = [cond.depth, then.depth, otherwise.depth];
            return self.node(
                Expr::Conditional(cond.boxed(), then.boxed(), otherwise.boxed()),
                &depths,
            );
        }
        self.logical_or()
    }
    fn keyword(&mut self, word: &str) -> Result<(), FluxError> {
        if self.is_keyword(word) {
            self.next();
            Ok(())
        } else {
            Err(self.error(format!("expected {word}, got {}", describe(self.peek()))))
        }
    }
    /// `lhs op rhs op rhs …`, left-associative: each step nests the tree one deeper.
    fn left_assoc<Op>(
        &mut self,
        operand: fn(&mut Self) -> Result<Node, FluxError>,
        operator: fn(&Self) -> Option<Op>,
        build: fn(Op, Box<Expr>, Box<Expr>) -> Expr,
    ) -> Result<Node, FluxError> {
        let mut lhs = operand(self)?;
        while let Some(op) = operator(self) {
            self.next();
            let rhs = operand(self)?;
            let depths = [lhs.depth, rhs.depth];
            lhs = self.node(build(op, lhs.boxed(), rhs.boxed()), &depths)?;
        }
        Ok(lhs)
    }
    fn logical_or(&mut self) -> Result<Node, FluxError> {
        self.left_assoc(
            Self::logical_and,
            |p| p.is_keyword("or").then_some(LogicalOp::Or),
            Expr::Logical,
        )
    }
    fn logical_and(&mut self) -> Result<Node, FluxError> {
        self.left_assoc(
            Self::logical_unary,
            |p| p.is_keyword("and").then_some(LogicalOp::And),
            Expr::Logical,
        )
    }
    fn logical_unary(&mut self) -> Result<Node, FluxError> {
        for (word, op) in [("not", UnaryOp::Not), ("exists", UnaryOp::Exists)] {
            if self.is_keyword(word) {
                self.next();
                let operand = self.nested(Self::logical_unary)?;
                let depth = operand.depth;
                return self.node(Expr::Unary(op, operand.boxed()), &[depth]);
            }
        }
        self.comparison()
    }
    /// `operand`, one level deeper into the parser's recursion (refused past the limit).
    fn nested(
        &mut self,
        operand: fn(&mut Self) -> Result<Node, FluxError>,
    ) -> Result<Node, FluxError> {
        if self.nesting >= self.max_depth {
            return Err(self.too_deep());
        }
        self.nesting += 1;
        let node = operand(self);
        self.nesting -= 1;
        node
    }
    fn comparison(&mut self) -> Result<Node, FluxError> {
        self.left_assoc(
            Self::additive,
            |p| match p.peek() {
                Token::Sym("==") => Some(BinaryOp::Eq),
                Token::Sym("!=") => Some(BinaryOp::Ne),
                Token::Sym("<") => Some(BinaryOp::Lt),
                Token::Sym("<=") => Some(BinaryOp::Le),
                Token::Sym(">") => Some(BinaryOp::Gt),
                Token::Sym(">=") => Some(BinaryOp::Ge),
                Token::Sym("=~") => Some(BinaryOp::RegexMatch),
                Token::Sym("!~") => Some(BinaryOp::RegexNotMatch),
                _ => None,
            },
            Expr::Binary,
        )
    }
    fn additive(&mut self) -> Result<Node, FluxError> {
        self.left_assoc(
            Self::multiplicative,
            |p| match p.peek() {
                Token::Sym("+") => Some(BinaryOp::Add),
                Token::Sym("-") => Some(BinaryOp::Sub),
                _ => None,
            },
            Expr::Binary,
        )
    }
    fn multiplicative(&mut self) -> Result<Node, FluxError> {
        self.left_assoc(
            Self::unary,
            |p| match p.peek() {
                Token::Sym("*") => Some(BinaryOp::Mul),
                Token::Sym("/") => Some(BinaryOp::Div),
                Token::Sym("%") => Some(BinaryOp::Mod),
                _ => None,
            },
            Expr::Binary,
        )
    }
    fn unary(&mut self) -> Result<Node, FluxError> {
        if self.eat("-") {
            let operand = self.nested(Self::unary)?;
            let depth = operand.depth;
            return self.node(Expr::Unary(UnaryOp::Neg, operand.boxed()), &[depth]);
        }
        if self.eat("+") {
            return self.nested(Self::unary);
        }
        self.pipe()
    }
    fn pipe(&mut self) -> Result<Node, FluxError> {
        let mut lhs = self.postfix()?;
        while self.eat("|>") {
            let call = self.postfix()?;
            if !matches!(call.expr, Expr::Call(..)) {
                return Err(self.error("pipe destination must be a function call"));
            }
            let depths = [lhs.depth, call.depth];
            lhs = self.node(Expr::Pipe(lhs.boxed(), call.boxed()), &depths)?;
        }
        Ok(lhs)
    }
    fn postfix(&mut self) -> Result<Node, FluxError> {
        let mut node = self.primary()?;
        loop {
            node = if self.eat(".") {
                let (depth, name) = (node.depth, self.ident()?);
                self.node(Expr::Member(node.boxed(), name), &[depth])?
            } else if self.eat("[") {
                let index = self.expr()?;
                self.expect("]")?;
                let depths = [node.depth, index.depth];
                let expr = match index.expr {
                    Expr::Str(key) => Expr::Member(node.boxed(), key),
                    other => Expr::Index(node.boxed(), Box::new(other)),
                };
                self.node(expr, &depths)?
            } else if self.eat("(") {
                let mut args = Vec::new();
                let mut depths = vec![node.depth];
                if !self.eat(")") {
                    loop {
                        let name = self.ident()?;
                        self.expect(":")?;
                        let arg = self.expr()?;
                        depths.push(arg.depth);
                        args.push((name, arg.expr));
                        if self.eat(")") {
                            break;
                        }
                        self.expect(",")?;
                        if self.eat(")") {
                            break;
                        }
                    }
                }
                self.node(Expr::Call(node.boxed(), args), &depths)?
            } else {
                return Ok(node);
            };
        }
    }
    fn primary(&mut self) -> Result<Node, FluxError> {
        if self.peek() == &Token::Sym("(") && self.is_function_literal() {
            return self.function();
        }
        match self.next() {
            Token::Ident(name) => Ok(Node::leaf(Expr::Ident(name))),
            Token::Int(n) => Ok(Node::leaf(Expr::Int(n))),
            Token::Float(f) => Ok(Node::leaf(Expr::Float(f))),
            Token::Duration(d) => Ok(Node::leaf(Expr::Duration(d))),
            Token::Time(t) => Ok(Node::leaf(Expr::Time(t))),
            Token::Regex(r) => Ok(Node::leaf(Expr::Regex(r))),
            Token::Str(parts) => self.string(parts),
            Token::Sym("(") => {
                let e = self.expr()?;
                self.expect(")")?;
                Ok(e)
            }
            Token::Sym("[") => {
                let (mut items, mut depths) = (Vec::new(), Vec::new());
                while !self.eat("]") {
                    let item = self.expr()?;
                    depths.push(item.depth);
                    items.push(item.expr);
                    if !self.eat(",") {
                        self.expect("]")?;
                        break;
                    }
                }
                self.node(Expr::Array(items), &depths)
            }
            Token::Sym("{") => self.record(),
            t => {
                self.pos -= 1;
                Err(self.error(format!("unexpected {}", describe(&t))))
            }
        }
    }
    fn record(&mut self) -> Result<Node, FluxError> {
        let mut with = None;
        let mut depths = Vec::new();
        if matches!(self.peek(), Token::Ident(_)) && self.peek_at(1) == &Token::Ident("with".into())
        {
            with = Some(Box::new(Expr::Ident(self.ident()?)));
            self.next();
        }
        let mut fields = Vec::new();
        while !self.eat("}") {
            let name = match self.next() {
                Token::Ident(n) => n,
                Token::Str(parts) => plain_string(parts),
                t => {
                    self.pos -= 1;
                    return Err(self.error(format!("expected property name, got {}", describe(&t))));
                }
            };
            let value = if self.eat(":") {
                self.expr()?
            } else {
                Node::leaf(Expr::Ident(name.clone()))
            };
            depths.push(value.depth);
            fields.push((name, value.expr));
            if !self.eat(",") {
                self.expect("}")?;
                break;
            }
        }
        self.node(Expr::Record { with, fields }, &depths)
    }
    /// At `(`: is this a parameter list followed by `=>`?
    fn is_function_literal(&self) -> bool {
        let mut depth = 0;
        for (n, t) in self.tokens[self.pos..].iter().enumerate() {
            match t.token {
                Token::Sym("(") => depth += 1,
                Token::Sym(")") => {
                    depth -= 1;
                    if depth == 0 {
                        return self.peek_at(n + 1) == &Token::Sym("=>");
                    }
                }
                Token::Eof => return false,
                _ => {}
            }
        }
        false
    }
    fn function(&mut self) -> Result<Node, FluxError> {
        self.expect("(")?;
        let mut params = Vec::new();
        let mut depths = Vec::new();
        while !self.eat(")") {
            let name = self.ident()?;
            let (mut default, mut piped) = (None, false);
            if self.eat("=") {
                if self.eat("<-") {
                    piped = true;
                } else {
                    let value = self.expr()?;
                    depths.push(value.depth);
                    default = Some(value.expr);
                }
            }
            params.push(Param {
                name,
                default,
                piped,
            });
            if !self.eat(",") {
                self.expect(")")?;
                break;
            }
        }
        self.expect("=>")?;
        let body = if self.peek() == &Token::Sym("{") && !self.looks_like_record() {
            self.next();
            let mut vars = Vec::new();
            loop {
                if self.is_keyword("return") {
                    self.next();
                    let result = self.expr()?;
                    self.expect("}")?;
                    depths.push(result.depth);
                    break Block {
                        vars,
                        result: result.expr,
                    };
                }
                let name = self.ident()?;
                self.expect("=")?;
                let value = self.expr()?;
                depths.push(value.depth);
                vars.push((name, value.expr));
            }
        } else {
            let result = self.expr()?;
            depths.push(result.depth);
            Block {
                vars: Vec::new(),
                result: result.expr,
            }
        };
        self.node(Expr::Func(params, Box::new(body)), &depths)
    }
    /// After `=>`, `{` opens a record when followed by `}` or `name:` or `name with`.
    fn looks_like_record(&self) -> bool {
        matches!(
            (self.peek_at(1), self.peek_at(2)),
            (Token::Sym("}"), _)
                | (Token::Ident(_), Token::Sym(":"))
                | (Token::Str(_), Token::Sym(":"))
                | (Token::Ident(_), Token::Sym(","))
        ) || matches!(self.peek_at(2), Token::Ident(w) if w == "with")
    }
    /// A string literal; each `${…}` is parsed as an expression nested one level deeper.
    fn string(&self, parts: Vec<RawStrPart>) -> Result<Node, FluxError> {
        if let [RawStrPart::Text(t)] = parts.as_slice() {
            return Ok(Node::leaf(Expr::Str(t.clone())));
        }
        let budget = self.max_depth.saturating_sub(self.nesting + 1);
        if budget == 0 {
            return Err(self.too_deep());
        }
        let mut depths = Vec::new();
        let parts = parts
            .into_iter()
            .map(|p| match p {
                RawStrPart::Text(t) => Ok(StrPart::Text(t)),
                RawStrPart::Expr(src) => {
                    let mut inner = Parser::new(&src, budget)?;
                    let e = inner.expr()?;
                    inner.expect_eof()?;
                    depths.push(e.depth);
                    Ok(StrPart::Expr(e.expr))
                }
            })
            .collect::<Result<_, FluxError>>()?;
        self.node(Expr::Interpolated(parts), &depths)
    }
}

fn plain_string(parts: Vec<RawStrPart>) -> String {
    parts
        .into_iter()
        .map(|p| match p {
            RawStrPart::Text(t) => t,
            RawStrPart::Expr(e) => format!("${{{e}}}"),
        })
        .collect()
}

fn describe(t: &Token) -> String {
    match t {
        Token::Ident(n) => format!("identifier {n}"),
        Token::Sym(s) => format!("{s:?}"),
        Token::Eof => "end of query".into(),
        Token::Str(_) => "string".into(),
        _ => "literal".into(),
    }
}

#[cfg(test)]
mod tests;
