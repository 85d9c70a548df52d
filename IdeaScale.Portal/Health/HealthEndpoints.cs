using Microsoft.EntityFrameworkCore;

namespace IdeaScale.Portal.Health;

/// <summary>
/// /health/live (the process answers; checks nothing, so a slow database never gets the process restarted) and
/// /health/ready (the configured database answers a query through <see cref="PortalDbContext"/>, so through
/// whichever provider it is configured with). 200 when healthy, 503 otherwise; the body is only the status word,
/// never an exception message.
/// </summary>
public static class HealthEndpoints
{
    private const string ReadyTag = "ready";

    public static WebApplicationBuilder AddPortalHealth(this WebApplicationBuilder builder)
    {
        // A query, not Database.CanConnectAsync: for a SQLite file that only asks whether the file exists, so a
        // damaged or foreign file would count as ready. Reading one workspace id also proves the schema is there.
        builder.Services.AddHealthChecks().AddDbContextCheck<PortalDbContext>("database", tags: [ReadyTag], customTestQuery: async (db, ct) =>
        {
            await db.Workspaces.AsNoTracking().Select(w => w.Id).FirstOrDefaultAsync(ct);
            return true;
        });
        return builder;
    }

    public static void MapPortalHealth(this WebApplication app)
    {
        app.MapHealthChecks("/health/live", new() { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new() { Predicate = c => c.Tags.Contains(ReadyTag) });
    }
}
