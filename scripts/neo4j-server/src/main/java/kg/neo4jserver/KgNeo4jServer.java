package kg.neo4jserver;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.neo4j.cli.AdminTool;
import org.neo4j.cli.ExecutionContext;
import org.neo4j.configuration.Config;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.graphdb.Result;
import org.neo4j.graphdb.Transaction;

/**
 * A Neo4j Community DBMS (embedded API) with the Bolt connector, for accelerator-kg.
 *
 * <pre>
 *   KG_NEO4J_PASSWORD=... java -cp classes:lib/* kg.neo4jserver.KgNeo4jServer serve HOME
 * </pre>
 *
 * HOME/conf/neo4j.conf (written by scripts/neo4j) holds every setting: the Bolt listen
 * address (127.0.0.1 only), auth on, the data directory, memory. The password of the
 * {@code neo4j} user comes from the environment (never the command line, which ps shows):
 * on a data directory without a system database it is set before the DBMS starts with
 * neo4j-admin's {@code dbms set-initial-password} (so Bolt never answers to the default
 * neo4j/neo4j), on an existing one with {@code ALTER USER neo4j SET PASSWORD ... CHANGE NOT
 * REQUIRED} on the system database. When the default database answers {@code RETURN 1} the
 * line {@code KG_NEO4J_READY ...} goes to stdout and HOME/run/ready is written. SIGTERM
 * (scripts/neo4j stop) shuts the DBMS down cleanly through a shutdown hook.
 */
public final class KgNeo4jServer {

    private KgNeo4jServer() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 2 && args[0].equals("serve")) {
            serve(Path.of(args[1]).toAbsolutePath());
        } else {
            System.err.println("usage: KG_NEO4J_PASSWORD=... KgNeo4jServer serve NEO4J_HOME");
            System.exit(2);
        }
    }

    private static void serve(Path home) throws Exception {
        Path confDir = home.resolve("conf");
        Path confFile = confDir.resolve("neo4j.conf");
        String password = System.getenv("KG_NEO4J_PASSWORD");
        if (password == null || password.length() < 8) {
            fail("KG_NEO4J_PASSWORD must be set (8 characters or more)");
        }
        Config config = Config.newBuilder()
                .set(GraphDatabaseSettings.neo4j_home, home)
                .fromFile(confFile)
                .build();
        Path dataDir = config.get(GraphDatabaseSettings.data_directory);
        String dbName = config.get(GraphDatabaseSettings.initial_default_database);
        boolean freshSystem = !Files.exists(dataDir.resolve("databases").resolve("system"));
        Path ready = home.resolve("run").resolve("ready");
        Files.deleteIfExists(ready);

        if (freshSystem) {
            // The supported way to give a new DBMS its first password (what the Neo4j
            // Docker image does with NEO4J_AUTH): writes DATA/dbms/auth.ini, which the
            // system database reads when it is created.
            int rc = AdminTool.execute(new ExecutionContext(home, confDir),
                    "dbms", "set-initial-password", "--", password); // "--": it may start with '-' 
            if (rc != 0) {
                fail("neo4j-admin dbms set-initial-password failed with exit code " + rc);
            }
        }

        log("starting Neo4j on " + config.get(BoltConnector.listen_address)
                + " (data " + dataDir + ")");
        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home)
                .loadPropertiesFromFile(confFile)
                .build();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log("shutting down");
            try {
                dbms.shutdown();
            } finally {
                stopped.countDown();
                log("stopped");
            }
        }, "kg-neo4j-shutdown"));

        if (!freshSystem) {
            setPassword(dbms, password);
        }

        GraphDatabaseService db = dbms.database(dbName);
        if (!db.isAvailable(120_000)) {
            fail("database " + dbName + " did not become available");
        }
        String version;
        try (Transaction tx = db.beginTx();
             Result r = tx.execute("CALL dbms.components() YIELD versions, edition "
                     + "RETURN versions[0] + ' ' + edition AS v")) {
            version = (String) r.next().get("v");
            tx.commit();
        }
        String line = "KG_NEO4J_READY version=" + version + " bolt="
                + config.get(BoltConnector.listen_address) + " database=" + dbName
                + " pid=" + ProcessHandle.current().pid();
        Files.createDirectories(ready.getParent());
        Path tmp = ready.resolveSibling("ready.tmp");
        Files.writeString(tmp, line + "\n", StandardCharsets.UTF_8);
        Files.move(tmp, ready, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        System.out.println(line);
        System.out.flush();
        stopped.await();
    }

    /** Sets the neo4j user's password on a DBMS whose system database already existed. */
    private static void setPassword(DatabaseManagementService dbms, String password) {
        GraphDatabaseService system = dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME);
        try {
            system.executeTransactionally(
                    "ALTER USER neo4j SET PASSWORD $pw CHANGE NOT REQUIRED", Map.of("pw", password));
            log("password of user neo4j changed");
        } catch (RuntimeException e) {
            String msg = String.valueOf(e.getMessage());
            if (msg.contains("cannot be the same")) {
                // already this password; still make sure no change is required
                system.executeTransactionally("ALTER USER neo4j SET PASSWORD CHANGE NOT REQUIRED");
                log("password of user neo4j unchanged");
            } else {
                throw e;
            }
        }
    }

    private static void log(String msg) {
        System.err.println("[kg-neo4j] " + msg);
        System.err.flush();
    }

    private static void fail(String msg) throws IOException {
        log("error: " + msg);
        System.exit(1);
    }
}
