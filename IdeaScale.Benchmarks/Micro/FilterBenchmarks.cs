using BenchmarkDotNet.Attributes;

using IdeaScale.Portal.Data;
using IdeaScale.Portal.Data.Entities;
using IdeaScale.Portal.Scim.Filtering;

using Microsoft.EntityFrameworkCore;

namespace IdeaScale.Benchmarks.Micro;

/// <summary>
/// The filter pipeline of every list request: parse (FilterParser.Parse), translate to an EF expression
/// (FilterTranslator.ForUsers) and to SQL (ToQueryString, which runs EF's query compilation as a request does).
/// </summary>
[MemoryDiagnoser]
[SuppressMessage("Performance", "CA1822:Mark members as static", Justification = "BenchmarkDotNet runs instance methods.")]
public class FilterBenchmarks : IDisposable
{
    private const string UserNameEq = "userName eq \"bjensen@example.com\"";
    private const string Complex = "emails[type eq \"work\" and value co \"@example.com\"] and (title pr or not (active eq false)) "
        + "and urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq \"R&D\" and meta.lastModified gt \"2026-01-01T00:00:00Z\"";

    private PortalDbContext db = null!;
    private FilterNode userNameEq = null!;
    private FilterNode complex = null!;

    [GlobalSetup]
    public void Setup()
    {
        db = new PortalDbContext(new DbContextOptionsBuilder<PortalDbContext>().UseSqlite("Data Source=:memory:").Options);
        userNameEq = FilterParser.Parse(UserNameEq);
        complex = FilterParser.Parse(Complex);
    }

    [Benchmark]
    public FilterNode ParseUserNameEq() => FilterParser.Parse(UserNameEq);

    [Benchmark]
    public FilterNode ParseComplex() => FilterParser.Parse(Complex);

    [Benchmark]
    public object TranslateUserNameEq() => FilterTranslator.ForUsers(userNameEq, db);

    [Benchmark]
    public object TranslateComplex() => FilterTranslator.ForUsers(complex, db);

    /// <summary>Parse, translate and generate SQL, as GET /Users?filter=userName eq "x" does before it runs the query.</summary>
    [Benchmark]
    public string UserNameEqToSql() => db.Members.Where(FilterTranslator.ForUsers(FilterParser.Parse(UserNameEq), db)).ToQueryString();

    [Benchmark]
    public string ComplexToSql() => db.Members.Where(FilterTranslator.ForUsers(FilterParser.Parse(Complex), db)).ToQueryString();

    [GlobalCleanup]
    public void Cleanup() => db.Dispose();

    public void Dispose()
    {
        db?.Dispose();
        GC.SuppressFinalize(this);
    }
}
