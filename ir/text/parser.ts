// The text-IR grammar as a chevrotain CstParser (rules as class properties). The grammar:
//
//   graph      := 'model' SymbolRef '{' statement* ret '}'
//   statement  := Value '=' Name operands? attrDict? ':' tensorType
//   operands   := Value (',' Value)*
//   attrDict   := '{' (attr (',' attr)*)? '}'
//   attr       := Name '=' attrValue
//   attrValue  := NumberLit | StringLit | 'true' | 'false' | numberList
//   numberList := '[' (NumberLit (',' NumberLit)*)? ']'
//   tensorType := Name numberList                       // f32[4,16], f32[]
//   ret        := 'return' Value
//
// The CST types below are exactly what chevrotain's generateCstDts prints for these rules
// (tests/ir/text.test.ts checks that), so the visitor in toIr.ts is typed.

import {
  CstParser,
  defaultParserErrorProvider,
  type CstNode,
  type ICstVisitor,
  type IParserErrorMessageProvider,
  type IToken,
  type TokenType,
} from "chevrotain";
import {
  allTokens,
  Colon,
  Comma,
  Equals,
  False,
  LCurly,
  LSquare,
  Model,
  Name,
  NumberLit,
  RCurly,
  Return,
  RSquare,
  StringLit,
  SymbolRef,
  True,
  Value,
} from "./tokens.ts";

const show = (t: TokenType): string => (typeof t.LABEL === "string" ? t.LABEL : t.name);
const found = (t: IToken): string => (t.tokenType.name === "EOF" ? "the end of the input" : `'${t.image}'`);
const oneOf = (paths: TokenType[][]): string => [...new Set(paths.map((p) => (p[0] ? show(p[0]) : "")))].join(" or ");

/** Short messages: "expected ':' but found '}'". */
const errorMessageProvider: IParserErrorMessageProvider = {
  buildMismatchTokenMessage: ({ expected, actual }) => `expected ${show(expected)} but found ${found(actual)}`,
  buildNotAllInputParsedMessage: ({ firstRedundant }) => `unexpected ${found(firstRedundant)} after the end of the model`,
  buildNoViableAltMessage: (o) => {
    const first = o.actual[0];
    if (!first) return defaultParserErrorProvider.buildNoViableAltMessage(o);
    return `expected ${oneOf(o.expectedPathsPerAlt.flat())} but found ${found(first)}`;
  },
  buildEarlyExitMessage: (o) => {
    const first = o.actual[0];
    if (!first) return defaultParserErrorProvider.buildEarlyExitMessage(o);
    return `expected ${oneOf(o.expectedIterationPaths)} but found ${found(first)}`;
  },
};

export class IrParser extends CstParser {
  constructor() {
    super(allTokens, { errorMessageProvider, recoveryEnabled: false });
    this.performSelfAnalysis();
  }

  graph = this.RULE("graph", () => {
    this.CONSUME(Model);
    this.CONSUME(SymbolRef);
    this.CONSUME(LCurly);
    this.MANY(() => this.SUBRULE(this.statement));
    this.SUBRULE(this.ret);
    this.CONSUME(RCurly);
  });

  statement = this.RULE("statement", () => {
    this.CONSUME(Value);
    this.CONSUME(Equals);
    this.CONSUME(Name);
    this.OPTION(() => this.SUBRULE(this.operands));
    this.OPTION2(() => this.SUBRULE(this.attrDict));
    this.CONSUME(Colon);
    this.SUBRULE(this.tensorType);
  });

  operands = this.RULE("operands", () => {
    this.CONSUME(Value);
    this.MANY(() => {
      this.CONSUME(Comma);
      this.CONSUME2(Value);
    });
  });

  attrDict = this.RULE("attrDict", () => {
    this.CONSUME(LCurly);
    this.OPTION(() => {
      this.SUBRULE(this.attr);
      this.MANY(() => {
        this.CONSUME(Comma);
        this.SUBRULE2(this.attr);
      });
    });
    this.CONSUME(RCurly);
  });

  attr = this.RULE("attr", () => {
    this.CONSUME(Name);
    this.CONSUME(Equals);
    this.SUBRULE(this.attrValue);
  });

  attrValue = this.RULE("attrValue", () => {
    this.OR([
      { ALT: () => this.CONSUME(NumberLit) },
      { ALT: () => this.CONSUME(StringLit) },
      { ALT: () => this.CONSUME(True) },
      { ALT: () => this.CONSUME(False) },
      { ALT: () => this.SUBRULE(this.numberList) },
    ]);
  });

  numberList = this.RULE("numberList", () => {
    this.CONSUME(LSquare);
    this.OPTION(() => {
      this.CONSUME(NumberLit);
      this.MANY(() => {
        this.CONSUME(Comma);
        this.CONSUME2(NumberLit);
      });
    });
    this.CONSUME(RSquare);
  });

  tensorType = this.RULE("tensorType", () => {
    this.CONSUME(Name);
    this.SUBRULE(this.numberList);
  });

  ret = this.RULE("ret", () => {
    this.CONSUME(Return);
    this.CONSUME(Value);
  });
}

/** One shared instance: chevrotain parsers are reusable by resetting `input`. */
export const irParser = new IrParser();

// ---------------------------------------------------------------- CST types
// <generated-cst>
export interface GraphCstNode extends CstNode {
  name: "graph";
  children: GraphCstChildren;
}

export type GraphCstChildren = {
  Model: IToken[];
  SymbolRef: IToken[];
  LCurly: IToken[];
  statement?: StatementCstNode[];
  ret: RetCstNode[];
  RCurly: IToken[];
};

export interface StatementCstNode extends CstNode {
  name: "statement";
  children: StatementCstChildren;
}

export type StatementCstChildren = {
  Value: IToken[];
  Equals: IToken[];
  Name: IToken[];
  operands?: OperandsCstNode[];
  attrDict?: AttrDictCstNode[];
  Colon: IToken[];
  tensorType: TensorTypeCstNode[];
};

export interface OperandsCstNode extends CstNode {
  name: "operands";
  children: OperandsCstChildren;
}

export type OperandsCstChildren = {
  Value: (IToken)[];
  Comma?: IToken[];
};

export interface AttrDictCstNode extends CstNode {
  name: "attrDict";
  children: AttrDictCstChildren;
}

export type AttrDictCstChildren = {
  LCurly: IToken[];
  attr?: (AttrCstNode)[];
  Comma?: IToken[];
  RCurly: IToken[];
};

export interface AttrCstNode extends CstNode {
  name: "attr";
  children: AttrCstChildren;
}

export type AttrCstChildren = {
  Name: IToken[];
  Equals: IToken[];
  attrValue: AttrValueCstNode[];
};

export interface AttrValueCstNode extends CstNode {
  name: "attrValue";
  children: AttrValueCstChildren;
}

export type AttrValueCstChildren = {
  NumberLit?: IToken[];
  StringLit?: IToken[];
  True?: IToken[];
  False?: IToken[];
  numberList?: NumberListCstNode[];
};

export interface NumberListCstNode extends CstNode {
  name: "numberList";
  children: NumberListCstChildren;
}

export type NumberListCstChildren = {
  LSquare: IToken[];
  NumberLit?: (IToken)[];
  Comma?: IToken[];
  RSquare: IToken[];
};

export interface TensorTypeCstNode extends CstNode {
  name: "tensorType";
  children: TensorTypeCstChildren;
}

export type TensorTypeCstChildren = {
  Name: IToken[];
  numberList: NumberListCstNode[];
};

export interface RetCstNode extends CstNode {
  name: "ret";
  children: RetCstChildren;
}

export type RetCstChildren = {
  Return: IToken[];
  Value: IToken[];
};

export interface ICstNodeVisitor<IN, OUT> extends ICstVisitor<IN, OUT> {
  graph(children: GraphCstChildren, param?: IN): OUT;
  statement(children: StatementCstChildren, param?: IN): OUT;
  operands(children: OperandsCstChildren, param?: IN): OUT;
  attrDict(children: AttrDictCstChildren, param?: IN): OUT;
  attr(children: AttrCstChildren, param?: IN): OUT;
  attrValue(children: AttrValueCstChildren, param?: IN): OUT;
  numberList(children: NumberListCstChildren, param?: IN): OUT;
  tensorType(children: TensorTypeCstChildren, param?: IN): OUT;
  ret(children: RetCstChildren, param?: IN): OUT;
}
// </generated-cst>
