using IdeaScale.Portal.Components.Account;

using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Identity;

namespace IdeaScale.Portal.Security;

/// <summary>Portal sign-in: ASP.NET Core Identity with EF stores, cookie authentication and the platform roles.</summary>
public static class IdentitySetup
{
    public const string LockoutSection = "SignIn:Lockout";

    public static WebApplicationBuilder AddPortalIdentity(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddCascadingAuthenticationState();
        services.AddScoped<IdentityRedirectManager>();
        services.AddScoped<AuthenticationStateProvider, IdentityRevalidatingAuthenticationStateProvider>();
        services.Configure<AccountSecurityOptions>(builder.Configuration.GetSection(AccountSecurityOptions.Section));

        services.AddAuthentication(options =>
            {
                options.DefaultScheme = IdentityConstants.ApplicationScheme;
                options.DefaultSignInScheme = IdentityConstants.ExternalScheme;
            })
            .AddIdentityCookies();

        services.AddIdentityCore<PortalUser>(options =>
            {
                options.SignIn.RequireConfirmedAccount = true;
                options.User.RequireUniqueEmail = true;
                options.Lockout.MaxFailedAccessAttempts = 5;
                options.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(15);
                options.Lockout.AllowedForNewUsers = true;
                options.Stores.SchemaVersion = IdentitySchemaVersions.Version3;
            })
            .AddRoles<IdentityRole>()
            .AddUserManager<PortalUserManager>()
            .AddEntityFrameworkStores<PortalDbContext>()
            .AddSignInManager<PortalSignInManager>()
            .AddDefaultTokenProviders();

        // SignIn:Lockout binds onto Identity's LockoutOptions (MaxFailedAccessAttempts, DefaultLockoutTimeSpan,
        // AllowedForNewUsers); every sign-in page counts failures towards it.
        services.AddOptions<IdentityOptions>().Configure<IConfiguration>((options, configuration) =>
            configuration.GetSection(LockoutSection).Bind(options.Lockout));
        services.Configure<SignInThrottleOptions>(builder.Configuration.GetSection(SignInThrottleOptions.Section));
        services.AddSingleton<SignInThrottle>();
        services.AddSessionValidation();

        services.AddSingleton<IEmailSender<PortalUser>, IdentityNoOpEmailSender>();
        services.AddAuthorizationBuilder()
            .AddPolicy(Policies.CustomerSuccess, p => p.RequireAuthenticatedUser().RequireRole(Roles.CustomerSuccess)
                .AddRequirements(new CsmTwoFactorRequirement()))
            .AddPolicy(Policies.WorkspaceAdmin, p => p.RequireAuthenticatedUser().AddRequirements(new WorkspaceAdminRequirement()))
            .AddPolicy(Policies.WorkspaceLogReader, p => p.RequireAuthenticatedUser().AddRequirements(new WorkspaceLogReaderRequirement()));
        services.AddScoped<Microsoft.AspNetCore.Authorization.IAuthorizationHandler, WorkspaceAdminHandler>();
        services.AddScoped<Microsoft.AspNetCore.Authorization.IAuthorizationHandler, WorkspaceLogReaderHandler>();
        services.AddScoped<CsmTwoFactorHandler>();
        services.AddScoped<Microsoft.AspNetCore.Authorization.IAuthorizationHandler, CsmTwoFactorHandler>();
        services.AddSingleton<Microsoft.AspNetCore.Authorization.IAuthorizationMiddlewareResultHandler, TwoFactorEnrolmentResultHandler>();
        return builder;
    }
}

/// <summary>Authorization policy names.</summary>
public static class Policies
{
    public const string CustomerSuccess = "CustomerSuccess";

    /// <summary>Admin of the workspace in the route's {slug} (see <see cref="WorkspaceAdminHandler"/>).</summary>
    public const string WorkspaceAdmin = "WorkspaceAdmin";

    /// <summary>Reads the provisioning log of the route's {slug}: its admins, its assigned CSM or a lead (see <see cref="WorkspaceLogReaderHandler"/>).</summary>
    public const string WorkspaceLogReader = "WorkspaceLogReader";
}
