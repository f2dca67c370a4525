//! A recursive-descent parser for the Flux subset; errors carry `line:col`.

use super::ast::*;
use super::lexer::{tokenize, RawStrPart, Spanned, Token};
use super::FluxError;

pub fn parse(src: &str) -> Result<Vec<Statement>, FluxError> {
    let mut parser = Parser {
        tokens: tokenize(src)?,
        pos: 0,
    };
    let mut statements = Vec::new();
    while parser.peek() != &Token::Eof {
        statements.push(parser.statement()?);
    }
    Ok(statements)
}

fn parse_expression(src: &str) -> Result<Expr, FluxError> {
    let mut parser = Parser {
        tokens: tokenize(src)?,
        pos: 0,
    };
    let expr = parser.expr()?;
    parser.expect_eof()?;
    Ok(expr)
}

struct Parser {
    tokens: Vec<Spanned>,
    pos: usize,
}

impl Parser {
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
            return Ok(Statement::Option(name, self.expr()?));
        }
        if matches!(self.peek(), Token::Ident(_)) && self.peek_at(1) == &Token::Sym("=") {
            let name = self.ident()?;
            self.next();
            return Ok(Statement::Var(name, self.expr()?));
        }
        Ok(Statement::Expr(self.expr()?))
    }

    fn expr(&mut self) -> Result<Expr, FluxError> {
        if self.is_keyword("if") {
            self.next();
            let cond = self.expr()?;
            self.keyword("then")?;
            let then = self.expr()?;
            self.keyword("else")?;
            let otherwise = self.expr()?;
            return Ok(Expr::Conditional(
                Box::new(cond),
                Box::new(then),
                Box::new(otherwise),
            ));
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
    fn logical_or(&mut self) -> Result<Expr, FluxError> {
        let mut lhs = self.logical_and()?;
        while self.is_keyword("or") {
            self.next();
            lhs = Expr::Logical(LogicalOp::Or, Box::new(lhs), Box::new(self.logical_and()?));
        }
        Ok(lhs)
    }
    fn logical_and(&mut self) -> Result<Expr, FluxError> {
        let mut lhs = self.logical_unary()?;
        while self.is_keyword("and") {
            self.next();
            lhs = Expr::Logical(
                LogicalOp::And,
                Box::new(lhs),
                Box::new(self.logical_unary()?),
            );
        }
        Ok(lhs)
    }
    fn logical_unary(&mut self) -> Result<Expr, FluxError> {
        for (word, op) in [("not", UnaryOp::Not), ("exists", UnaryOp::Exists)] {
            if self.is_keyword(word) {
                self.next();
                return Ok(Expr::Unary(op, Box::new(self.logical_unary()?)));
            }
        }
        self.comparison()
    }
    fn comparison(&mut self) -> Result<Expr, FluxError> {
        let mut lhs = self.additive()?;
        loop {
            let op = match self.peek() {
                Token::Sym("==") => BinaryOp::Eq,
                Token::Sym("!=") => BinaryOp::Ne,
                Token::Sym("<") => BinaryOp::Lt,
                Token::Sym("<=") => BinaryOp::Le,
                Token::Sym(">") => BinaryOp::Gt,
                Token::Sym(">=") => BinaryOp::Ge,
                Token::Sym("=~") => BinaryOp::RegexMatch,
                Token::Sym("!~") => BinaryOp::RegexNotMatch,
                _ => return Ok(lhs),
            };
            self.next();
            lhs = Expr::Binary(op, Box::new(lhs), Box::new(self.additive()?));
        }
    }
    fn additive(&mut self) -> Result<Expr, FluxError> {
        let mut lhs = self.multiplicative()?;
        loop {
            let op = match self.peek() {
                Token::Sym("+") => BinaryOp::Add,
                Token::Sym("-") => BinaryOp::Sub,
                _ => return Ok(lhs),
            };
            self.next();
            lhs = Expr::Binary(op, Box::new(lhs), Box::new(self.multiplicative()?));
        }
    }
    fn multiplicative(&mut self) -> Result<Expr, FluxError> {
        let mut lhs = self.unary()?;
        loop {
            let op = match self.peek() {
                Token::Sym("*") => BinaryOp::Mul,
                Token::Sym("/") => BinaryOp::Div,
                Token::Sym("%") => BinaryOp::Mod,
                _ => return Ok(lhs),
            };
            self.next();
            lhs = Expr::Binary(op, Box::new(lhs), Box::new(self.unary()?));
        }
    }
    fn unary(&mut self) -> Result<Expr, FluxError> {
        if self.eat("-") {
            return Ok(Expr::Unary(UnaryOp::Neg, Box::new(self.unary()?)));
        }
        if self.eat("+") {
            return self.unary();
        }
        self.pipe()
    }
    fn pipe(&mut self) -> Result<Expr, FluxError> {
        let mut lhs = self.postfix()?;
        while self.eat("|>") {
            let call = self.postfix()?;
            if !matches!(call, Expr::Call(..)) {
                return Err(self.error("pipe destination must be a function call"));
            }
            lhs = Expr::Pipe(Box::new(lhs), Box::new(call));
        }
        Ok(lhs)
    }
    fn postfix(&mut self) -> Result<Expr, FluxError> {
        let mut expr = self.primary()?;
        loop {
            if self.eat(".") {
                expr = Expr::Member(Box::new(expr), self.ident()?);
            } else if self.eat("[") {
                let index = self.expr()?;
                self.expect("]")?;
                expr = match index {
                    Expr::Str(key) => Expr::Member(Box::new(expr), key),
                    other => Expr::Index(Box::new(expr), Box::new(other)),
                };
            } else if self.eat("(") {
                let mut args = Vec::new();
                if !self.eat(")") {
                    loop {
                        let name = self.ident()?;
                        self.expect(":")?;
                        args.push((name, self.expr()?));
                        if self.eat(")") {
                            break;
                        }
                        self.expect(",")?;
                        if self.eat(")") {
                            break;
                        }
                    }
                }
                expr = Expr::Call(Box::new(expr), args);
            } else {
                return Ok(expr);
            }
        }
    }
    fn primary(&mut self) -> Result<Expr, FluxError> {
        if self.peek() == &Token::Sym("(") && self.is_function_literal() {
            return self.function();
        }
        match self.next() {
            Token::Ident(name) => Ok(Expr::Ident(name)),
            Token::Int(n) => Ok(Expr::Int(n)),
            Token::Float(f) => Ok(Expr::Float(f)),
            Token::Duration(d) => Ok(Expr::Duration(d)),
            Token::Time(t) => Ok(Expr::Time(t)),
            Token::Regex(r) => Ok(Expr::Regex(r)),
            Token::Str(parts) => string_expr(parts),
            Token::Sym("(") => {
                let e = self.expr()?;
                self.expect(")")?;
                Ok(e)
            }
            Token::Sym("[") => {
                let mut items = Vec::new();
                while !self.eat("]") {
                    items.push(self.expr()?);
                    if !self.eat(",") {
                        self.expect("]")?;
                        break;
                    }
                }
                Ok(Expr::Array(items))
            }
            Token::Sym("{") => self.record(),
            t => {
                self.pos -= 1;
                Err(self.error(format!("unexpected {}", describe(&t))))
            }
        }
    }
    fn record(&mut self) -> Result<Expr, FluxError> {
        let mut with = None;
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
                Expr::Ident(name.clone())
            };
            fields.push((name, value));
            if !self.eat(",") {
                self.expect("}")?;
                break;
            }
        }
        Ok(Expr::Record { with, fields })
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
    fn function(&mut self) -> Result<Expr, FluxError> {
        self.expect("(")?;
        let mut params = Vec::new();
        while !self.eat(")") {
            let name = self.ident()?;
            let (mut default, mut piped) = (None, false);
            if self.eat("=") {
                if self.eat("<-") {
                    piped = true;
                } else {
                    default = Some(self.expr()?);
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
                    break Block { vars, result };
                }
                let name = self.ident()?;
                self.expect("=")?;
                vars.push((name, self.expr()?));
            }
        } else {
            Block {
                vars: Vec::new(),
                result: self.expr()?,
            }
        };
        Ok(Expr::Func(params, Box::new(body)))
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

fn string_expr(parts: Vec<RawStrPart>) -> Result<Expr, FluxError> {
    if let [RawStrPart::Text(t)] = parts.as_slice() {
        return Ok(Expr::Str(t.clone()));
    }
    parts
        .into_iter()
        .map(|p| match p {
            RawStrPart::Text(t) => Ok(StrPart::Text(t)),
            RawStrPart::Expr(src) => parse_expression(&src).map(StrPart::Expr),
        })
        .collect::<Result<_, _>>()
        .map(Expr::Interpolated)
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
mod tests {
    use super::*;

    #[test]
    fn parses_a_dashboard_query() {
        let q = r#"import "influxdata/influxdb/schema"
            from(bucket: "iot") |> range(start: -1h, stop: now())
              |> filter(fn: (r) => r._measurement == "environment" and r["clientId"] =~ /^ESP/)
              |> aggregateWindow(every: 1m, fn: mean, createEmpty: false)
              |> yield(name: "mean")"#;
        let statements = parse(q).unwrap();
        assert_eq!(statements.len(), 2);
        assert!(matches!(&statements[1], Statement::Expr(Expr::Pipe(..))));
    }

    #[test]
    fn interpolation_and_escapes() {
        let s = parse(r#"x = "a\"b${1 + 2}c""#).unwrap();
        let Statement::Var(_, Expr::Interpolated(parts)) = &s[0] else {
            panic!("{s:?}")
        };
        assert_eq!(parts[0], StrPart::Text("a\"b".into()));
        assert_eq!(parts.len(), 3);
    }

    #[test]
    fn errors_have_positions() {
        let err = parse("from(bucket: \"x\") |> ").unwrap_err().to_string();
        assert!(err.contains("error @1:"), "{err}");
        assert!(parse("range(start: 5x)").is_err());
        assert!(parse("\"unterminated").is_err());
    }

    #[test]
    fn record_bodies_and_blocks() {
        assert!(parse("map(fn: (r) => ({r with v: r._value * 2.0}))").is_ok());
        assert!(parse("map(fn: (r) => {x = 1\n return {a: x}})").is_ok());
        assert!(parse("f = (tables=<-, n=1) => tables |> limit(n: n)").is_ok());
    }
}
