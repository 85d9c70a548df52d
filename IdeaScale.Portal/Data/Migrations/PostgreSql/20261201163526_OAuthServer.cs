using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IdeaScale.Portal.Data.Migrations.PostgreSql
{
    /// <inheritdoc />
    public partial class OAuthServer : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "OAuthServerKeys",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    Use = table.Column<string>(type: "character varying(8)", maxLength: 8, nullable: false, collation: "C"),
                    ProtectedKey = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_OAuthServerKeys", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "OpenIddictApplications",
                columns: table => new
                {
                    Id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    ApplicationType = table.Column<string>(type: "character varying(50)", maxLength: 50, nullable: true, collation: "C"),
                    ClientId = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true, collation: "C"),
                    ClientSecret = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    ClientType = table.Column<string>(type: "character varying(50)", maxLength: 50, nullable: true, collation: "C"),
                    ConcurrencyToken = table.Column<string>(type: "character varying(50)", maxLength: 50, nullable: true, collation: "C"),
                    ConsentType = table.Column<string>(type: "character varying(50)", maxLength: 50, nullable: true, collation: "C"),
                    DisplayName = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    DisplayNames = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    JsonWebKeySet = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    Permissions = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    PostLogoutRedirectUris = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    Properties = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    RedirectUris = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    Requirements = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    Settings = table.Column<string>(type: "text", nullable: true, collation: "C")
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_OpenIddictApplications", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "OpenIddictScopes",
                columns: table => new
                {
                    Id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    ConcurrencyToken = table.Column<string>(type: "character varying(50)", maxLength: 50, nullable: true, collation: "C"),
                    Description = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    Descriptions = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    DisplayName = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    DisplayNames = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    Name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true, collation: "C"),
                    Properties = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    Resources = table.Column<string>(type: "text", nullable: true, collation: "C")
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_OpenIddictScopes", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "ScimOAuthClients",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    ClientId = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false, collation: "C"),
                    ApplicationId = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false, collation: "C"),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    CreatedBy = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true, collation: "C"),
                    LastUsedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    LastUsedIp = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true, collation: "C"),
                    LastUsedClient = table.Column<string>(type: "character varying(512)", maxLength: 512, nullable: true, collation: "C"),
                    LastSuccessAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    LastFailureAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    LastFailureStatus = table.Column<int>(type: "integer", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ScimOAuthClients", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ScimOAuthClients_Workspaces_WorkspaceId",
                        column: x => x.WorkspaceId,
                        principalTable: "Workspaces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "OpenIddictAuthorizations",
                columns: table => new
                {
                    Id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    ApplicationId = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    ConcurrencyToken = table.Column<string>(type: "character varying(50)", maxLength: 50, nullable: true, collation: "C"),
                    CreationDate = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    Properties = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    Scopes = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    Status = table.Column<string>(type: "character varying(50)", maxLength: 50, nullable: true, collation: "C"),
                    Subject = table.Column<string>(type: "character varying(400)", maxLength: 400, nullable: true, collation: "C"),
                    Type = table.Column<string>(type: "character varying(50)", maxLength: 50, nullable: true, collation: "C")
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_OpenIddictAuthorizations", x => x.Id);
                    table.ForeignKey(
                        name: "FK_OpenIddictAuthorizations_OpenIddictApplications_Application~",
                        column: x => x.ApplicationId,
                        principalTable: "OpenIddictApplications",
                        principalColumn: "Id");
                });

            migrationBuilder.CreateTable(
                name: "ScimOAuthSecrets",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    ClientId = table.Column<Guid>(type: "uuid", nullable: false),
                    Hash = table.Column<string>(type: "character varying(400)", maxLength: 400, nullable: false, collation: "C"),
                    Hint = table.Column<string>(type: "character varying(8)", maxLength: 8, nullable: false, collation: "C"),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    CreatedBy = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true, collation: "C"),
                    ExpiresAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ScimOAuthSecrets", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ScimOAuthSecrets_ScimOAuthClients_ClientId",
                        column: x => x.ClientId,
                        principalTable: "ScimOAuthClients",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "OpenIddictTokens",
                columns: table => new
                {
                    Id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    ApplicationId = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    AuthorizationId = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    ConcurrencyToken = table.Column<string>(type: "character varying(50)", maxLength: 50, nullable: true, collation: "C"),
                    CreationDate = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    ExpirationDate = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    Payload = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    Properties = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    RedemptionDate = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    ReferenceId = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true, collation: "C"),
                    Status = table.Column<string>(type: "character varying(50)", maxLength: 50, nullable: true, collation: "C"),
                    Subject = table.Column<string>(type: "character varying(400)", maxLength: 400, nullable: true, collation: "C"),
                    Type = table.Column<string>(type: "character varying(150)", maxLength: 150, nullable: true, collation: "C")
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_OpenIddictTokens", x => x.Id);
                    table.ForeignKey(
                        name: "FK_OpenIddictTokens_OpenIddictApplications_ApplicationId",
                        column: x => x.ApplicationId,
                        principalTable: "OpenIddictApplications",
                        principalColumn: "Id");
                    table.ForeignKey(
                        name: "FK_OpenIddictTokens_OpenIddictAuthorizations_AuthorizationId",
                        column: x => x.AuthorizationId,
                        principalTable: "OpenIddictAuthorizations",
                        principalColumn: "Id");
                });

            migrationBuilder.CreateIndex(
                name: "IX_OAuthServerKeys_Use",
                table: "OAuthServerKeys",
                column: "Use",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_OpenIddictApplications_ClientId",
                table: "OpenIddictApplications",
                column: "ClientId",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_OpenIddictAuthorizations_ApplicationId_Status_Subject_Type",
                table: "OpenIddictAuthorizations",
                columns: new[] { "ApplicationId", "Status", "Subject", "Type" });

            migrationBuilder.CreateIndex(
                name: "IX_OpenIddictScopes_Name",
                table: "OpenIddictScopes",
                column: "Name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_OpenIddictTokens_ApplicationId_Status_Subject_Type",
                table: "OpenIddictTokens",
                columns: new[] { "ApplicationId", "Status", "Subject", "Type" });

            migrationBuilder.CreateIndex(
                name: "IX_OpenIddictTokens_AuthorizationId",
                table: "OpenIddictTokens",
                column: "AuthorizationId");

            migrationBuilder.CreateIndex(
                name: "IX_OpenIddictTokens_ReferenceId",
                table: "OpenIddictTokens",
                column: "ReferenceId",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_ScimOAuthClients_ClientId",
                table: "ScimOAuthClients",
                column: "ClientId",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_ScimOAuthClients_WorkspaceId",
                table: "ScimOAuthClients",
                column: "WorkspaceId");

            migrationBuilder.CreateIndex(
                name: "IX_ScimOAuthSecrets_ClientId",
                table: "ScimOAuthSecrets",
                column: "ClientId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "OAuthServerKeys");

            migrationBuilder.DropTable(
                name: "OpenIddictScopes");

            migrationBuilder.DropTable(
                name: "OpenIddictTokens");

            migrationBuilder.DropTable(
                name: "ScimOAuthSecrets");

            migrationBuilder.DropTable(
                name: "OpenIddictAuthorizations");

            migrationBuilder.DropTable(
                name: "ScimOAuthClients");

            migrationBuilder.DropTable(
                name: "OpenIddictApplications");
        }
    }
}
