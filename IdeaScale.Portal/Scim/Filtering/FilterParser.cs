using System.Globalization;
using System.Text;

using IdeaScale.Portal.Scim.Errors;
using IdeaScale.Portal.Scim.Schema;

namespace IdeaScale.Portal.Scim.Filtering;

/// <summary>
/// Hand-written recursive-descent parser for SCIM filters (RFC 7644 §3.4.2.2) and PATCH paths (§3.5.2).
/// The grammar, with the errata and IdP forms it accepts, is in <c>filter.abnf</c> next to this file; each method
/// names the rule it implements. Positions in error details are 0-based character offsets into the input.
/// Input is capped (<see cref="MaxLength"/>, <see cref="MaxNodes"/>, <see cref="MaxDepth"/>) so hostile filters
/// give 400 invalidFilter, never a stack overflow.
/// </summary>
public static class FilterParser
{
    /// <summary>Longest filter or PATCH path accepted, in characters.</summary>
    public const int MaxLength = 4096;

    /// <summary>Most AST nodes (comparisons, presence tests, and, or, not, valuePath) in one filter.</summary>
    public const int MaxNodes = 500;

    /// <summary>Deepest nesting of parentheses, not and valuePath brackets.</summary>
    public const int MaxDepth = 32;

    /// <summary>Parses a filter (the <c>filter</c> query parameter or the .search body member).</summary>
    /// <exception cref="ScimException">400 invalidFilter, with the position of the problem.</exception>
    public static FilterNode Parse(string filter)
    {
        var p = new Cursor(filter ?? "", ScimException.InvalidFilter, "filter");
        p.CheckInput();
        var node = p.ParseOr(inValuePath: false);
        p.SkipWhitespace();
        if (!p.AtEnd)
        {
            throw p.Fail($"Unexpected '{p.Excerpt()}'; expected 'and', 'or' or the end of the filter", p.Position);
        }

        return node;
    }

    /// <summary>Parses a PATCH operation path: <c>PATH = attrPath / valuePath [subAttr]</c> (RFC 7644 §3.5.2).</summary>
    /// <exception cref="ScimException">400 invalidPath, with the position of the problem.</exception>
    public static PatchPath ParsePatchPath(string path)
    {
        var p = new Cursor(path ?? "", ScimException.InvalidPath, "path");
        p.CheckInput();
        p.SkipWhitespace();
        var attribute = p.ParseAttrPath();
        p.SkipWhitespace();
        FilterNode? filter = null;
        string? subAttribute = null;
        if (p.Peek == '[')
        {
            if (attribute.SubAttribute is not null)
            {
                throw p.Fail($"A value filter applies to a multi-valued attribute, not to the sub-attribute '{attribute}'", p.Position);
            }

            filter = p.ParseValuePath();
            if (p.Peek == '.')
            {
                p.Advance();
                subAttribute = p.ParseAttrName();
            }
        }

        p.SkipWhitespace();
        if (!p.AtEnd)
        {
            throw p.Fail($"Unexpected '{p.Excerpt()}' after the path", p.Position);
        }

        return new PatchPath(attribute, filter, subAttribute);
    }

    /// <summary>Parser state over one input. Not thread-safe; one per call.</summary>
    private sealed class Cursor(string text, Func<string, ScimException> error, string what)
    {
        private int nodes;
        private int depth;

        public int Position { get; private set; }
        public bool AtEnd => Position >= text.Length;
        public char Peek => AtEnd ? '\0' : text[Position];

        public void Advance() => Position++;

        public void CheckInput()
        {
            if (string.IsNullOrWhiteSpace(text))
            {
                throw error($"The {what} is empty.");
            }

            if (text.Length > MaxLength)
            {
                throw error($"The {what} is {text.Length} characters long; at most {MaxLength} are accepted.");
            }
        }

        public ScimException Fail(string message, int position) => error($"{message} at position {position}.");

        /// <summary>A short excerpt of the input at the cursor, for error details.</summary>
        public string Excerpt()
        {
            var end = Position;
            while (end < text.Length && end - Position < 20 && !char.IsWhiteSpace(text[end]))
            {
                end++;
            }

            return end == Position ? text.Substring(Position, Math.Min(1, text.Length - Position)) : text[Position..end];
        }

        public void SkipWhitespace()
        {
            while (!AtEnd && IsSpace(Peek))
            {
                Position++;
            }
        }

        /// <summary>SP in the ABNF: at least one space (E6: one or more).</summary>
        private void RequireWhitespace(string expected)
        {
            if (AtEnd || !IsSpace(Peek))
            {
                throw AtEnd
                    ? Fail($"Unexpected end of the {what}; expected {expected}", Position)
                    : Fail($"Expected a space and then {expected}, found '{Excerpt()}'", Position);
            }

            SkipWhitespace();
        }

        private static bool IsSpace(char c) => c is ' ' or '\t';

        private T Count<T>(T node)
            where T : FilterNode
        {
            if (++nodes > MaxNodes)
            {
                throw error($"The {what} has more than {MaxNodes} terms.");
            }

            return node;
        }

        /// <summary>Matches a case-insensitive keyword at the cursor that is not followed by a name character.</summary>
        private bool AtKeyword(string keyword) =>
            Position + keyword.Length <= text.Length
            && string.Compare(text, Position, keyword, 0, keyword.Length, StringComparison.OrdinalIgnoreCase) == 0
            && (Position + keyword.Length == text.Length || !IsNameChar(text[Position + keyword.Length]));

        /// <summary>FILTER-OR = FILTER-AND *(1*SP "or" 1*SP FILTER-AND); VAL-OR alike inside brackets.</summary>
        public FilterNode ParseOr(bool inValuePath)
        {
            var left = ParseAnd(inValuePath);
            while (TryLogicalOperator("or"))
            {
                var right = ParseAnd(inValuePath);
                left = Count(new OrNode(left, right));
            }

            return left;
        }

        /// <summary>FILTER-AND = FILTER-TERM *(1*SP "and" 1*SP FILTER-TERM); VAL-AND alike inside brackets.</summary>
        private FilterNode ParseAnd(bool inValuePath)
        {
            var left = ParseTerm(inValuePath);
            while (TryLogicalOperator("and"))
            {
                var right = ParseTerm(inValuePath);
                left = Count(new AndNode(left, right));
            }

            return left;
        }

        /// <summary>Consumes <c>1*SP keyword 1*SP</c> (or <c>keyword *SP "("</c>) when present; otherwise leaves the cursor.</summary>
        private bool TryLogicalOperator(string keyword)
        {
            var start = Position;
            SkipWhitespace();
            if (!AtKeyword(keyword))
            {
                Position = start;
                return false;
            }

            Position += keyword.Length;
            if (AtEnd)
            {
                throw Fail($"Expected a filter after '{keyword}'", Position);
            }

            if (Peek != '(')
            {
                RequireWhitespace($"a filter after '{keyword}'");
            }

            return true;
        }

        /// <summary>
        /// FILTER-TERM = "not" *SP "(" FILTER-OR ")" / "(" FILTER-OR ")" / valuePath [subAttr (pr / compareOp compValue)] / attrExp.
        /// VAL-TERM is the same without valuePath.
        /// </summary>
        private FilterNode ParseTerm(bool inValuePath)
        {
            SkipWhitespace();
            if (AtEnd)
            {
                throw Fail($"Unexpected end of the {what}; expected an attribute, 'not' or '('", Position);
            }

            if (AtKeyword("not") && NextNonSpaceAfter(Position + 3) == '(')
            {
                var notAt = Position;
                Position += 3;
                SkipWhitespace();
                var inner = ParseGroup(inValuePath, notAt);
                return Count(new NotNode(inner));
            }

            if (Peek == '(')
            {
                return ParseGroup(inValuePath, Position);
            }

            var path = ParseAttrPath();
            if (Peek == '[')
            {
                if (inValuePath)
                {
                    throw Fail("A value filter cannot contain another value filter", Position);
                }

                if (path.SubAttribute is not null)
                {
                    throw Fail($"A value filter applies to a complex attribute, not to the sub-attribute '{path}'", Position);
                }

                var filter = ParseValuePath();
                if (Peek == '.')
                {
                    // E5: Entra's emails[type eq "work"].value eq "x" means one value matching both.
                    Position++;
                    var sub = new AttrPath(null, ParseAttrName(), null);
                    filter = Count(new AndNode(filter, ParseAttrExpTail(sub)));
                }

                return Count(new ValuePathNode(path, filter));
            }

            return ParseAttrExpTail(path);
        }

        private char NextNonSpaceAfter(int index)
        {
            while (index < text.Length && IsSpace(text[index]))
            {
                index++;
            }

            return index < text.Length ? text[index] : '\0';
        }

        /// <summary>"(" *SP FILTER-OR *SP ")", with the nesting depth capped.</summary>
        private FilterNode ParseGroup(bool inValuePath, int openedAt)
        {
            Enter(openedAt);
            var open = Position;
            Position++; // '('
            var inner = ParseOr(inValuePath);
            SkipWhitespace();
            if (Peek != ')')
            {
                throw AtEnd
                    ? Fail($"Missing ')' for the '(' at position {open}; reached the end", Position)
                    : Fail($"Expected ')' for the '(' at position {open}, found '{Excerpt()}'", Position);
            }

            Position++;
            depth--;
            return inner;
        }

        private void Enter(int at)
        {
            if (++depth > MaxDepth)
            {
                throw Fail($"The {what} nests more than {MaxDepth} levels deep", at);
            }
        }

        /// <summary>valuePath = attrPath *SP "[" *SP VAL-OR *SP "]" (the part from "[" on).</summary>
        public FilterNode ParseValuePath()
        {
            var open = Position;
            Enter(open);
            Position++; // '['
            var filter = ParseOr(inValuePath: true);
            SkipWhitespace();
            if (Peek != ']')
            {
                throw AtEnd
                    ? Fail($"Missing ']' for the '[' at position {open}; reached the end", Position)
                    : Fail($"Expected ']' for the '[' at position {open}, found '{Excerpt()}'", Position);
            }

            Position++;
            depth--;
            return filter;
        }

        /// <summary>attrExp = attrPath 1*SP "pr" / attrPath 1*SP compareOp 1*SP compValue (the part after attrPath).</summary>
        private FilterNode ParseAttrExpTail(AttrPath path)
        {
            RequireWhitespace($"an operator after '{path}'");
            var opAt = Position;
            while (!AtEnd && char.IsAsciiLetter(Peek))
            {
                Position++;
            }

            var word = text[opAt..Position];
            if (word.Length == 0 || (!AtEnd && !IsSpace(Peek) && Peek is not (')' or ']')))
            {
                Position = opAt;
                throw Fail($"Expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr) after '{path}', found '{Excerpt()}'", opAt);
            }

            if (word.Equals("pr", StringComparison.OrdinalIgnoreCase))
            {
                return Count(new PresentNode(path));
            }

            var op = ParseCompareOp(word, opAt);
            RequireWhitespace($"a value after '{word}'");
            var value = ParseCompValue();
            return Count(new CompareNode(path, op, value));
        }

        /// <summary>compareOp = "eq" / "ne" / "co" / "sw" / "ew" / "gt" / "lt" / "ge" / "le" (case-insensitive).</summary>
        private CompareOp ParseCompareOp(string word, int at) => word.ToLowerInvariant() switch
        {
            "eq" => CompareOp.Eq,
            "ne" => CompareOp.Ne,
            "co" => CompareOp.Co,
            "sw" => CompareOp.Sw,
            "ew" => CompareOp.Ew,
            "gt" => CompareOp.Gt,
            "ge" => CompareOp.Ge,
            "lt" => CompareOp.Lt,
            "le" => CompareOp.Le,
            _ => throw Fail($"Unknown operator '{word}'; expected eq, ne, co, sw, ew, gt, ge, lt, le or pr", at),
        };

        /// <summary>compValue = false / null / true / number / string.</summary>
        private FilterLiteral ParseCompValue()
        {
            if (Peek == '"')
            {
                return new StringLiteral(ParseString());
            }

            if (Peek == '-' || char.IsAsciiDigit(Peek))
            {
                return new NumberLiteral(ParseNumber());
            }

            foreach (var (word, literal) in Keywords)
            {
                if (AtKeyword(word))
                {
                    Position += word.Length;
                    return literal;
                }
            }

            throw AtEnd
                ? Fail($"Unexpected end of the {what}; expected a value (a string in double quotes, a number, true, false or null)", Position)
                : Fail($"Expected a value (a string in double quotes, a number, true, false or null), found '{Excerpt()}'", Position);
        }

        private static readonly (string Word, FilterLiteral Literal)[] Keywords =
        [
            ("true", new BooleanLiteral(true)),
            ("false", new BooleanLiteral(false)),
            ("null", NullLiteral.Instance),
        ];

        /// <summary>string = %x22 *char %x22 with JSON escapes (RFC 8259 §7).</summary>
        private string ParseString()
        {
            var open = Position;
            Position++;
            var sb = new StringBuilder();
            while (true)
            {
                if (AtEnd)
                {
                    throw Fail("Unterminated string (no closing '\"') starting", open);
                }

                var c = text[Position];
                if (c == '"')
                {
                    Position++;
                    return sb.ToString();
                }

                if (c < 0x20)
                {
                    throw Fail("Control characters must be escaped in a string", Position);
                }

                if (c != '\\')
                {
                    sb.Append(c);
                    Position++;
                    continue;
                }

                var escapeAt = Position;
                Position++;
                if (AtEnd)
                {
                    throw Fail("Unterminated string (no closing '\"') starting", open);
                }

                var e = text[Position++];
                switch (e)
                {
                    case '"': sb.Append('"'); break;
                    case '\\': sb.Append('\\'); break;
                    case '/': sb.Append('/'); break;
                    case 'b': sb.Append('\b'); break;
                    case 'f': sb.Append('\f'); break;
                    case 'n': sb.Append('\n'); break;
                    case 'r': sb.Append('\r'); break;
                    case 't': sb.Append('\t'); break;
                    case 'u':
                        if (Position + 4 > text.Length
                            || !ushort.TryParse(text.AsSpan(Position, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code))
                        {
                            throw Fail("Invalid \\u escape; expected four hex digits", escapeAt);
                        }

                        sb.Append((char)code);
                        Position += 4;
                        break;
                    default:
                        throw Fail($"Invalid escape '\\{e}' in a string", escapeAt);
                }
            }
        }

        /// <summary>number = [ "-" ] int [ frac ] [ exp ] (RFC 8259 §6).</summary>
        private decimal ParseNumber()
        {
            var start = Position;
            if (Peek == '-')
            {
                Position++;
            }

            if (!char.IsAsciiDigit(Peek))
            {
                throw Fail("Expected a digit in the number", Position);
            }

            if (Peek == '0')
            {
                Position++;
            }
            else
            {
                SkipDigits();
            }

            if (Peek == '.')
            {
                Position++;
                if (!char.IsAsciiDigit(Peek))
                {
                    throw Fail("Expected a digit after the decimal point", Position);
                }

                SkipDigits();
            }

            if (Peek is 'e' or 'E')
            {
                Position++;
                if (Peek is '+' or '-')
                {
                    Position++;
                }

                if (!char.IsAsciiDigit(Peek))
                {
                    throw Fail("Expected a digit in the exponent", Position);
                }

                SkipDigits();
            }

            if (!AtEnd && (IsNameChar(Peek) || Peek == '.'))
            {
                throw Fail($"Invalid number '{text[start..Position]}{Peek}'", start);
            }

            if (!decimal.TryParse(text.AsSpan(start, Position - start), NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                throw Fail($"The number '{text[start..Position]}' is out of range", start);
            }

            return value;
        }

        private void SkipDigits()
        {
            while (char.IsAsciiDigit(Peek))
            {
                Position++;
            }
        }

        /// <summary>
        /// attrPath = [URI (":" / ".")] ATTRNAME *1subAttr. A URN prefix is matched against the registry's schema
        /// URNs (longest first, E7); an unknown URN ends at its last ':' and fails later as an unknown attribute.
        /// </summary>
        public AttrPath ParseAttrPath()
        {
            string? urn = null;
            if (Position + 4 <= text.Length && string.Compare(text, Position, "urn:", 0, 4, StringComparison.OrdinalIgnoreCase) == 0)
            {
                urn = ParseUrn();
            }

            var name = ParseAttrName();
            string? sub = null;
            if (Peek == '.')
            {
                Position++;
                sub = ParseAttrName();
            }

            return new AttrPath(urn, name, sub);
        }

        private string ParseUrn()
        {
            var start = Position;
            var end = start;
            while (end < text.Length && !IsSpace(text[end]) && text[end] is not ('[' or ']' or '(' or ')' or '"'))
            {
                end++;
            }

            var token = text[start..end];
            var known = ScimRegistry.Schemas
                .Where(s => token.Length > s.Id.Length && token.StartsWith(s.Id, StringComparison.OrdinalIgnoreCase)
                    && token[s.Id.Length] is ':' or '.')
                .MaxBy(s => s.Id.Length);
            if (known is not null)
            {
                Position = start + known.Id.Length + 1;
                return known.Id;
            }

            // Unknown schema: the URN is everything up to the last ':' before the attribute name.
            var lastColon = token.LastIndexOf(':');
            if (lastColon <= 3 || lastColon == token.Length - 1)
            {
                throw Fail($"Expected an attribute name after the schema URN '{token}'", start + token.Length);
            }

            Position = start + lastColon + 1;
            return token[..lastColon];
        }

        /// <summary>ATTRNAME = ALPHA *(nameChar) / "$ref"; nameChar = "-" / "_" / DIGIT / ALPHA.</summary>
        public string ParseAttrName()
        {
            var start = Position;
            if (Position + 4 <= text.Length && string.Compare(text, Position, "$ref", 0, 4, StringComparison.Ordinal) == 0
                && (Position + 4 == text.Length || !IsNameChar(text[Position + 4])))
            {
                Position += 4;
                return "$ref";
            }

            if (AtEnd || !char.IsAsciiLetter(Peek))
            {
                throw AtEnd
                    ? Fail($"Unexpected end of the {what}; expected an attribute name", Position)
                    : Fail($"Expected an attribute name, found '{Excerpt()}'", Position);
            }

            while (!AtEnd && IsNameChar(Peek))
            {
                Position++;
            }

            return text[start..Position];
        }

        private static bool IsNameChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_';
    }
}
