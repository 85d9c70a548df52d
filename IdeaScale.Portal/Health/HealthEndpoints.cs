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
        // A query through the model, not only Database.CanConnectAsync: a server that accepts the connection but
        // where the app cannot read its tables (missing, or no rights on them after a restore) is not ready.
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
